"""The one primitive: apply a connectivity pattern, materialized or factored.

Both forms compute `y[b, q, o] = sum_{p, i} x[b, p, i] * W[p, i, q, o]` with
`W[p, :, q, :] = M[q, p] * theta[T[q, p]]` (see `lib.core.patterns`).

- materialized: build W, shape `[N_in * C_in, N_out * C_out]`, then one matmul: the vanilla network.
- factored: never build W. Every output position reads its k inputs (its patch,
  `[batch, N_out, k * C_in]`), then one contraction with the blocks over taps and channels: tied, a
  matmul with `[k * C_in, C_out]`; untied, 'bqK,qKo->bqo' with `[N_out, k * C_in, C_out]`. Three ways
  to read the patches, the same numbers:
    'gather'  through the pattern's static index table (any pattern);
    'slices'  one strided slice of the zero-padded grid per tap (window patterns; no gather, so
              friendly to TPUs, and the faster one on CPU: see experiments/layer_speed.py).
    'chunks'  tied patterns only: 'slices' on chunks of the batch whose patches are recomputed in the
              backward pass, once the patches would outgrow a core's cache.
  A fully connected pattern is always one plain matmul. 'auto' (`resolve_method`) picks what
  experiments/layer_speed.py measured: on CPU 'chunks' for tied patterns and 'slices' for untied ones;
  elsewhere (GPU, TPU: no timing measured yet) the gather-free 'slices'.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lib.core.patterns import Pattern, Sharing, Window

FORMS = ('factored', 'materialized')
METHODS = ('auto', 'gather', 'slices', 'chunks')
# 'chunks' runs in one pass up to CHUNK_ABOVE_BYTES of patches, else in chunks of about CHUNK_BYTES.
CHUNK_ABOVE_BYTES = 8 * 2**20
CHUNK_BYTES = 2**20


def check_operands(pattern: Pattern, theta, x) -> None:
  """Raises ValueError, before any tracing, when shapes disagree with the pattern.

  Args:
    pattern: the connectivity pattern.
    theta: `[K, C_in, C_out]` parameter blocks.
    x: `[batch, N_in, C_in]` input.
  """
  if np.ndim(x) != 3:
    raise ValueError(f'x.shape={np.shape(x)}: expected rank 3 [batch, N_in={pattern.n_in}, C_in]')
  if np.ndim(theta) != 3:
    raise ValueError(f'theta.shape={np.shape(theta)}: expected rank 3 [K, C_in, C_out]')
  if x.shape[1] != pattern.n_in:
    raise ValueError(f'x.shape={x.shape}: expected {pattern.n_in} positions (grid {pattern.in_grid})')
  if theta.shape[0] != pattern.num_blocks:
    raise ValueError(f'theta.shape={theta.shape}: the pattern has {pattern.num_blocks} blocks')
  if theta.shape[1] != x.shape[2]:
    raise ValueError(f'channel mismatch: theta.shape={theta.shape} expects C_in={theta.shape[1]}, '
                     f'x.shape={x.shape} has {x.shape[2]}')


def dense_matrix(pattern: Pattern, theta: jax.Array) -> jax.Array:
  """Materializes the dense-equivalent weight matrix.

  Args:
    pattern: the connectivity pattern.
    theta: `[K, C_in, C_out]` parameter blocks.

  Returns:
    W of shape `[N_in * C_in, N_out * C_out]`, zero outside the mask. Its gradient with respect to
    theta sums the dense gradient over each tied set, restricted to the mask.
  """
  _, c_in, c_out = theta.shape
  block_of = pattern.block_of  # [N_out, N_in], -1 off the mask
  blocks = jnp.take(theta, np.maximum(block_of, 0), axis=0)  # [N_out, N_in, C_in, C_out]
  blocks = jnp.where(pattern.mask[:, :, None, None], blocks, 0)
  return blocks.transpose(1, 2, 0, 3).reshape(pattern.n_in * c_in, pattern.n_out * c_out)


def _patches_by_gather(pattern: Pattern, x):
  """`[B * N_out, k * C_in]`: each output position's taps, zero where a tap reads padding."""
  patches = jnp.take(x, pattern.index, axis=1, mode='fill', fill_value=0)  # [B, N_out, k, C_in]
  return patches.reshape(x.shape[0] * pattern.n_out, -1)


def _window_taps(window: Window, padded, out_grid, first_axis: int):
  """The taps of a zero-padded grid, one strided slice per tap, concatenated on the last axis.

  Args:
    window: the window geometry.
    padded: an array whose axes `[first_axis, first_axis + ndim)` are the padded grid; its last
      axis holds the channels.
    out_grid: the output grid (or, for a chunk, the part of it the chunk computes).
    first_axis: where the grid axes start.

  Returns:
    `padded` with its grid axes replaced by `out_grid` and k * C on the last axis, tap-major.
  """
  taps = []
  for offset in np.ndindex(*window.kernel):
    start, limit, step = [0] * padded.ndim, list(padded.shape), [1] * padded.ndim
    for axis, (o, d, n, s) in enumerate(zip(offset, window.dilation, out_grid, window.strides),
                                        first_axis):
      start[axis], limit[axis], step[axis] = o * d, o * d + (n - 1) * s + 1, s
    taps.append(lax.slice(padded, start, limit, step))
  return jnp.concatenate(taps, axis=-1)


def _pad_grid(window: Window, grid, first_axis: int):
  pads = [(0, 0)] * grid.ndim
  pads[first_axis:first_axis + len(window.pads)] = window.pads
  return jnp.pad(grid, pads)


def _largest_divisor(n: int, at_most: float) -> int:
  return max(d for d in range(1, n + 1) if n % d == 0 and d <= max(at_most, 1))


def _tied_slices(pattern: Pattern, theta, x):
  """`[B, N_out, C_out]`: one GEMM `[B * N_out, k * C_in] @ [k * C_in, C_out]` on the patches."""
  batch, _, c_in = x.shape
  grid = _pad_grid(pattern.window, x.reshape(batch, *pattern.in_grid, c_in), 1)
  patches = _window_taps(pattern.window, grid, pattern.out_grid, 1).reshape(batch * pattern.n_out, -1)
  return (patches @ theta.reshape(-1, theta.shape[2])).reshape(batch, pattern.n_out, -1)


def _tied_chunks(pattern: Pattern, theta, x):
  """`_tied_slices` on chunks of the batch in a loop once the patches exceed CHUNK_ABOVE_BYTES:
  each chunk holds about CHUNK_BYTES of them and the backward pass recomputes them, so no buffer
  outgrows a core's cache."""
  batch, _, c_in = x.shape
  patch_bytes = pattern.n_out * pattern.taps * c_in * x.dtype.itemsize  # one example's
  per_chunk = _largest_divisor(batch, CHUNK_BYTES / patch_bytes)
  if per_chunk == batch or batch * patch_bytes <= CHUNK_ABOVE_BYTES:
    return _tied_slices(pattern, theta, x)
  chunk = jax.checkpoint(functools.partial(_tied_slices, pattern))
  chunks = x.reshape(batch // per_chunk, per_chunk, *x.shape[1:])
  y = lax.map(lambda xc: chunk(theta, xc), chunks)  # [chunks, per_chunk, N_out, C_out]
  return y.reshape(batch, pattern.n_out, -1)


def _untied_slices(pattern: Pattern, theta, x):
  """`[B, N_out, C_out]`, position-major: patches `[N_out, B, k * C_in]` read from the grid
  `[*in_grid, B, C_in]`, then one batched GEMM, a `[B, k * C_in] @ [k * C_in, C_out]` per output
  position, with the positions as the leading batch axis of both operands (no transposes)."""
  batch, _, c_in = x.shape
  ndim, c_out = len(pattern.in_grid), theta.shape[2]
  grid = jnp.moveaxis(x.reshape(batch, *pattern.in_grid, c_in), 0, ndim)  # [*in_grid, B, C_in]
  grid = _pad_grid(pattern.window, grid, 0)
  patches = _window_taps(pattern.window, grid, pattern.out_grid, 0).reshape(pattern.n_out, batch, -1)
  blocks = theta.reshape(pattern.n_out, -1, c_out)  # [N_out, k * C_in, C_out]
  y = lax.dot_general(patches, blocks, (((2,), (1,)), ((0,), (0,))))  # [N_out, B, C_out]
  return jnp.moveaxis(y, 1, 0)


def resolve_method(pattern: Pattern, method: str = 'auto') -> str:
  """The method 'auto' stands for on this platform (see the module docstring's table)."""
  if method != 'auto':
    return method
  if jax.default_backend() == 'cpu' and pattern.sharing is Sharing.TIED:
    return 'chunks'
  return 'slices'


def executed(pattern: Pattern, form: str = 'factored', method: str = 'auto') -> str:
  """What `apply_pattern(pattern, ..., form=form, method=method)` runs on this platform: 'materialized',
  'dense' (a fully connected pattern: one matmul), or the factored method that 'auto' resolves to."""
  if form == 'materialized':
    return 'materialized'
  if pattern.is_dense:
    return 'dense'
  return resolve_method(pattern, method)


def apply_pattern(pattern: Pattern, theta: jax.Array, x: jax.Array, *, form: str = 'factored',
                  method: str = 'auto') -> jax.Array:
  """Applies the linear map that the pattern and its blocks define.

  Args:
    pattern: the connectivity pattern.
    theta: `[K, C_in, C_out]` parameter blocks, K = pattern.num_blocks.
    x: `[batch, N_in, C_in]` input.
    form: 'factored' (never builds W) or 'materialized' (builds W, one matmul).
    method: how the factored form runs: 'auto', 'gather', 'slices' or 'chunks' (see the module
      docstring); ignored when materialized.

  Returns:
    `[batch, N_out, C_out]`.
  """
  if form not in FORMS:
    raise ValueError(f'form={form!r}: expected one of {FORMS}')
  if method not in METHODS:
    raise ValueError(f'method={method!r}: expected one of {METHODS}')
  check_operands(pattern, theta, x)
  batch, c_out = x.shape[0], theta.shape[2]
  if form == 'materialized':
    y = x.reshape(batch, -1) @ dense_matrix(pattern, theta)
    return y.reshape(batch, pattern.n_out, c_out)
  if pattern.is_dense:
    blocks = theta.reshape(pattern.n_out, pattern.n_in * theta.shape[1], c_out)
    return jnp.einsum('bp,qpo->bqo', x.reshape(batch, -1), blocks)
  method = resolve_method(pattern, method)
  tied = pattern.sharing is Sharing.TIED
  if method == 'gather':
    patches = _patches_by_gather(pattern, x)  # [B * N_out, k * C_in]
    if tied:
      return (patches @ theta.reshape(-1, c_out)).reshape(batch, pattern.n_out, c_out)
    blocks = theta.reshape(pattern.n_out, -1, c_out)  # [N_out, k * C_in, C_out]
    return jnp.einsum('bqK,qKo->bqo', patches.reshape(batch, pattern.n_out, -1), blocks)
  if not tied:
    return _untied_slices(pattern, theta, x)
  if method == 'chunks':
    return _tied_chunks(pattern, theta, x)
  return _tied_slices(pattern, theta, x)
