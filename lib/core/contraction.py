"""The one primitive: apply a connectivity pattern, materialized or factored.

Both forms compute `y[b, q, o] = sum_{p, i} x[b, p, i] * W[p, i, q, o]` with
`W[p, :, q, :] = M[q, p] * theta[T[q, p]]` (see `lib.core.patterns`).

- materialized: build W, shape `[N_in * C_in, N_out * C_out]`, then one matmul: the vanilla network.
- factored: never build W. Every output position reads its k inputs (its patch,
  `[batch, N_out, k * C_in]`), then one contraction with the blocks over taps and channels: tied, a
  matmul with `[k * C_in, C_out]`; untied, 'bqK,qKo->bqo' with `[N_out, k * C_in, C_out]`. Two ways
  to read the patches, the same numbers:
    'gather'  through the pattern's static index table (any pattern);
    'slices'  one strided slice of the zero-padded grid per tap (window patterns; no gather, so
              friendly to TPUs, and the faster one on CPU: see experiments/layer_speed.py).
  A fully connected pattern is always one plain matmul. 'auto' picks what experiments/layer_speed.py
  measured fastest on CPU: 'slices' for tied (convolution) patterns, 'gather' for untied ones; on TPU,
  where gathers are slow, always 'slices'.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lib.core.patterns import Pattern, Sharing

FORMS = ('factored', 'materialized')
METHODS = ('auto', 'gather', 'slices')


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
  """`[B, N_out, k * C_in]`: each output position's taps, zero where a tap reads padding."""
  patches = jnp.take(x, pattern.index, axis=1, mode='fill', fill_value=0)  # [B, N_out, k, C_in]
  return patches.reshape(x.shape[0], pattern.n_out, -1)


def _patches_by_slices(pattern: Pattern, x):
  """`[B, N_out, k * C_in]`, the same patches read as one strided slice of the padded grid per tap."""
  w = pattern.window
  batch, _, c_in = x.shape
  grid = jnp.pad(x.reshape(batch, *pattern.in_grid, c_in), ((0, 0), *w.pads, (0, 0)))
  taps = []
  for offset in np.ndindex(*w.kernel):
    start = [o * d for o, d in zip(offset, w.dilation)]
    limit = [s + (n - 1) * st + 1 for s, n, st in zip(start, pattern.out_grid, w.strides)]
    taps.append(lax.slice(grid, (0, *start, 0), (batch, *limit, c_in), (1, *w.strides, 1)))
  return jnp.concatenate(taps, axis=-1).reshape(batch, pattern.n_out, -1)


def apply_pattern(pattern: Pattern, theta: jax.Array, x: jax.Array, *, form: str = 'factored',
                  method: str = 'auto') -> jax.Array:
  """Applies the linear map that the pattern and its blocks define.

  Args:
    pattern: the connectivity pattern.
    theta: `[K, C_in, C_out]` parameter blocks, K = pattern.num_blocks.
    x: `[batch, N_in, C_in]` input.
    form: 'factored' (never builds W) or 'materialized' (builds W, one matmul).
    method: how the factored form reads patches: 'auto', 'gather' or 'slices'; ignored when
      materialized.

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
  if method == 'auto':
    tied_or_tpu = pattern.sharing is Sharing.TIED or jax.default_backend() == 'tpu'
    method = 'slices' if tied_or_tpu else 'gather'
  read = _patches_by_gather if method == 'gather' else _patches_by_slices
  patches = read(pattern, x)  # [B, N_out, k * C_in]
  if pattern.sharing is Sharing.TIED:
    return patches @ theta.reshape(-1, c_out)
  blocks = theta.reshape(pattern.n_out, -1, c_out)  # [N_out, k * C_in, C_out]
  return jnp.einsum('bqK,qKo->bqo', patches, blocks)

