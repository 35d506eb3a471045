"""The one primitive: apply a connectivity pattern, materialized or factored.

Both forms compute `y[b, q, o] = sum_{p, i} x[b, p, i] * W[p, i, q, o]` with
`W[p, :, q, :] = M[q, p] * theta[T[q, p]]` (see `lib.core.patterns`).

- materialized: build W, shape `[N_in * C_in, N_out * C_out]`, then one matmul: the vanilla network.
- factored: never build W. Every output position reads its k inputs (its patch,
  `[batch, N_out, k * C_in]`), then one contraction with the blocks over taps and channels: tied, a
  matmul with `[k * C_in, C_out]`; untied, 'bqK,qKo->bqo' with `[N_out, k * C_in, C_out]`. Three ways
  to run it, the same numbers:
    'gather'  the patches through the pattern's static index table (any pattern);
    'slices'  the patches as one strided slice of the zero-padded grid per tap (window patterns; no
              gather, so friendly to TPUs);
    'chunks'  'slices' in cache-sized chunks, once the patches would outgrow CHUNK_ABOVE_BYTES
              (below it, 'slices' itself). Tied: chunks of the batch whose patches the backward
              pass recomputes. Untied: chunks of the first output axis in the layout
              `[*grid, C, batch]`, both passes written out (`jax.custom_vjp`): per chunk one batched
              GEMM over its positions for the output, one for the weight gradient, and the input
              gradient's taps added into place (no scatter).
The `custom_vjp` (untied 'chunks' above CHUNK_ABOVE_BYTES, so also 'auto' there on CPU) supports
reverse mode only; 'gather' and 'slices' any transformation. A fully connected pattern is always one
plain matmul. 'auto' (`resolve_method`) is 'chunks' on a CPU and 'slices' on a GPU or TPU: why, with
the measurements behind it, is in experiments/performance.md.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lib.core.patterns import Pattern, Sharing, Window

FORMS = ('factored', 'materialized')
METHODS = ('auto', 'gather', 'slices', 'chunks')
# 'chunks' runs in one pass ('slices') up to CHUNK_ABOVE_BYTES of patches, else in chunks of about
# CHUNK_BYTES.
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


def _window_taps(window: Window, padded, out_grid, first_axis: int, channel_axis: int = -1):
  """The taps of a zero-padded grid, one strided slice per tap, concatenated on the channel axis.

  Args:
    window: the window geometry.
    padded: an array whose axes `[first_axis, first_axis + ndim)` are the padded grid; its last
      axis holds the channels.
    out_grid: the output grid (or, for a chunk, the part of it the chunk computes).
    first_axis: where the grid axes start.
    channel_axis: the axis that holds the channels.

  Returns:
    `padded` with its grid axes replaced by `out_grid` and k * C on the channel axis, tap-major.
  """
  taps = []
  for offset in np.ndindex(*window.kernel):
    start, limit, step = [0] * padded.ndim, list(padded.shape), [1] * padded.ndim
    for axis, (o, d, n, s) in enumerate(zip(offset, window.dilation, out_grid, window.strides),
                                        first_axis):
      start[axis], limit[axis], step[axis] = o * d, o * d + (n - 1) * s + 1, s
    taps.append(lax.slice(padded, start, limit, step))
  return jnp.concatenate(taps, axis=channel_axis)


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


def _examples_per_chunk(pattern: Pattern, x) -> int:
  """Examples per chunk of the tied 'chunks': the whole batch up to CHUNK_ABOVE_BYTES of patches,
  else about CHUNK_BYTES of them."""
  batch, _, c_in = x.shape
  patch_bytes = pattern.n_out * pattern.taps * c_in * x.dtype.itemsize  # one example's
  if batch * patch_bytes <= CHUNK_ABOVE_BYTES:
    return batch
  return _largest_divisor(batch, CHUNK_BYTES / patch_bytes)


def _tied_chunks(pattern: Pattern, theta, x):
  """`_tied_slices` on chunks of the batch in a loop once the patches exceed CHUNK_ABOVE_BYTES:
  each chunk holds about CHUNK_BYTES of them and the backward pass recomputes them, so no buffer
  outgrows a core's cache."""
  batch = x.shape[0]
  per_chunk = _examples_per_chunk(pattern, x)
  if per_chunk == batch:
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


def _rows_per_chunk(pattern: Pattern, c_in: int, batch: int, itemsize: int) -> int:
  """Output rows (first output axis) per chunk of the untied 'chunks': about CHUNK_BYTES of patches."""
  row_bytes = math.prod(pattern.out_grid[1:]) * pattern.taps * c_in * batch * itemsize
  return _largest_divisor(pattern.out_grid[0], CHUNK_BYTES / row_bytes)


def _untied_chunks(pattern: Pattern, theta, x):
  """`[B, N_out, C_out]`: `_untied_slices` up to CHUNK_ABOVE_BYTES of patches, else the untied
  contraction in chunks of the first output axis (see `_untied_chunks_vjp`), in the layout
  `[*grid, C, B]`: per chunk, the patches `[P, k * C_in, B]` of its P positions and one batched GEMM
  `[k * C_in, C_out]^T @ [k * C_in, B]` per position."""
  batch, _, c_in = x.shape
  if batch * pattern.n_out * pattern.taps * c_in * x.dtype.itemsize <= CHUNK_ABOVE_BYTES:
    return _untied_slices(pattern, theta, x)
  return _untied_chunks_vjp(pattern, theta, x)


def _untied_chunk_setup(pattern: Pattern, theta, x):
  """The padded grid `[*padded_grid, C_in, B]`, the blocks `[chunks, P, k * C_in, C_out]`, and the
  chunk geometry: (input rows per chunk step, input rows a chunk reads, the chunk's output grid)."""
  window, batch, c_in = pattern.window, x.shape[0], x.shape[2]
  rows = _rows_per_chunk(pattern, c_in, batch, x.dtype.itemsize)
  grid = jnp.moveaxis(x.reshape(batch, *pattern.in_grid, c_in), 0, -1)
  grid = _pad_grid(window, grid, 0)
  chunks = pattern.out_grid[0] // rows
  blocks = theta.reshape(chunks, -1, pattern.taps * c_in, theta.shape[2])
  stride, dilation, kernel = window.strides[0], window.dilation[0], window.kernel[0]
  span = (rows - 1) * stride + dilation * (kernel - 1) + 1
  return grid, blocks, (rows * stride, span, (rows, *pattern.out_grid[1:]))


def _chunk_patches(pattern: Pattern, block, chunk_grid):
  """`[P, k * C_in, B]` from a chunk's input rows `[span, *padded_grid[1:], C_in, B]`."""
  taps = _window_taps(pattern.window, block, chunk_grid, 0, block.ndim - 2)
  return taps.reshape(math.prod(chunk_grid), -1, block.shape[-1])


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _untied_chunks_vjp(pattern: Pattern, theta, x):
  grid, blocks, (step, span, chunk_grid) = _untied_chunk_setup(pattern, theta, x)

  def chunk(_, c):
    block = lax.dynamic_slice_in_dim(grid, c * step, span, 0)
    patches = _chunk_patches(pattern, block, chunk_grid)  # [P, k * C_in, B]
    return None, lax.dot_general(blocks[c], patches, (((1,), (1,)), ((0,), (0,))))  # [P, C_out, B]

  _, y = lax.scan(chunk, None, jnp.arange(blocks.shape[0]))
  return jnp.moveaxis(y.reshape(pattern.n_out, -1, x.shape[0]), -1, 0)


def _untied_chunks_fwd(pattern: Pattern, theta, x):
  return _untied_chunks_vjp(pattern, theta, x), (theta, x)


def _untied_chunks_bwd(pattern: Pattern, residuals, cotangent):
  """Per chunk: d blocks = patches @ g^T per position, d patches = blocks @ g per position, and the
  patches' transpose (the taps' vjp) added into the chunk's rows of the padded grid's gradient."""
  theta, x = residuals
  grid, blocks, (step, span, chunk_grid) = _untied_chunk_setup(pattern, theta, x)
  chunks = blocks.shape[0]
  g = jnp.moveaxis(cotangent, 0, -1).reshape(chunks, -1, cotangent.shape[2], x.shape[0])

  def chunk(d_grid, c):
    block = lax.dynamic_slice_in_dim(grid, c * step, span, 0)
    patches, patches_vjp = jax.vjp(lambda b: _chunk_patches(pattern, b, chunk_grid), block)
    d_blocks = lax.dot_general(patches, g[c], (((2,), (2,)), ((0,), (0,))))  # [P, k * C_in, C_out]
    d_patches = lax.dot_general(blocks[c], g[c], (((2,), (1,)), ((0,), (0,))))  # [P, k * C_in, B]
    d_block, = patches_vjp(d_patches)
    rows = lax.dynamic_slice_in_dim(d_grid, c * step, span, 0)
    return lax.dynamic_update_slice_in_dim(d_grid, rows + d_block, c * step, 0), d_blocks

  d_grid, d_blocks = lax.scan(chunk, jnp.zeros_like(grid), jnp.arange(chunks))
  inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(pattern.window.pads, pattern.in_grid))
  d_x = jnp.moveaxis(d_grid[inner], -1, 0).reshape(x.shape)
  return d_blocks.reshape(theta.shape), d_x


_untied_chunks_vjp.defvjp(_untied_chunks_fwd, _untied_chunks_bwd)


def resolve_method(method: str = 'auto') -> str:
  """`method`, or the one 'auto' stands for on this platform."""
  if method != 'auto':
    return method
  if jax.default_backend() == 'cpu':
    return 'chunks'
  return 'slices'


def executed(pattern: Pattern, form: str = 'factored', method: str = 'auto') -> str:
  """What `apply_pattern(pattern, ..., form=form, method=method)` runs on this platform: 'materialized',
  'dense' (a fully connected pattern: one matmul), or the factored method that 'auto' resolves to."""
  if form == 'materialized':
    return 'materialized'
  if pattern.is_dense:
    return 'dense'
  return resolve_method(method)


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
  method = resolve_method(method)
  tied = pattern.sharing is Sharing.TIED
  if method == 'gather':
    patches = _patches_by_gather(pattern, x)  # [B * N_out, k * C_in]
    if tied:
      return (patches @ theta.reshape(-1, c_out)).reshape(batch, pattern.n_out, c_out)
    blocks = theta.reshape(pattern.n_out, -1, c_out)  # [N_out, k * C_in, C_out]
    return jnp.einsum('bqK,qKo->bqo', patches.reshape(batch, pattern.n_out, -1), blocks)
  if not tied:
    untied = _untied_chunks if method == 'chunks' else _untied_slices
    return untied(pattern, theta, x)
  if method == 'chunks':
    return _tied_chunks(pattern, theta, x)
  return _tied_slices(pattern, theta, x)
