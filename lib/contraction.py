"""The one primitive: apply a connectivity pattern, materialized or factored.

Both forms compute `y[b, q, o] = sum_{p, i} x[b, p, i] * W[p, i, q, o]` with
`W[p, :, q, :] = M[q, p] * theta[T[q, p]]` (see `lib.patterns`).

- materialized: build W, shape `[N_in * C_in, N_out * C_out]`, then one matmul: the vanilla network.
- factored: never build W. Executions of the same map:
    'gather'  each output position reads its k inputs through the pattern's static index table, then
              one einsum with the blocks (tied: 'bqki,kio->bqo'; untied: 'bqki,qkio->bqo');
    'shift'   for window patterns: one strided slice of the padded grid per tap, a matmul each, summed
              (no gather: the TPU-friendly path);
    a fully connected pattern is always a plain matmul.
  'auto' picks 'shift' on TPU and 'gather' elsewhere (see experiments/layer_speed.py).
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from lib.patterns import Pattern, Sharing

FORMS = ('factored', 'materialized')
METHODS = ('auto', 'gather', 'shift')


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


def _resolve(method: str) -> str:
  if method not in METHODS:
    raise ValueError(f'method={method!r}: expected one of {METHODS}')
  if method == 'auto':
    return 'shift' if jax.default_backend() == 'tpu' else 'gather'
  return method


def _gather(pattern: Pattern, theta, x):
  patches = jnp.take(x, pattern.index, axis=1, mode='fill', fill_value=0)  # [B, N_out, k, C_in]
  if pattern.sharing is Sharing.TIED:
    return jnp.einsum('bqki,kio->bqo', patches, theta)
  blocks = theta.reshape(pattern.n_out, pattern.taps, *theta.shape[1:])
  return jnp.einsum('bqki,qkio->bqo', patches, blocks)


def _shift(pattern: Pattern, theta, x):
  w = pattern.window
  batch, _, c_in = x.shape
  grid = x.reshape(batch, *pattern.in_grid, c_in)
  grid = jnp.pad(grid, ((0, 0), *w.pads, (0, 0)))
  blocks = theta.reshape(-1 if pattern.sharing is Sharing.TIED else pattern.n_out,
                         *([] if pattern.sharing is Sharing.TIED else [pattern.taps]),
                         *theta.shape[1:])
  y = 0.
  for t, offset in enumerate(np.ndindex(*w.kernel)):
    start = [o * d for o, d in zip(offset, w.dilation)]
    limit = [s + (n - 1) * st + 1 for s, n, st in zip(start, pattern.out_grid, w.strides)]
    tap = lax.slice(grid, (0, *start, 0), (batch, *limit, c_in), (1, *w.strides, 1))
    tap = tap.reshape(batch, pattern.n_out, c_in)
    if pattern.sharing is Sharing.TIED:
      y = y + tap @ blocks[t]
    else:
      y = y + jnp.einsum('bqi,qio->bqo', tap, blocks[:, t])
  return y


def apply_pattern(pattern: Pattern, theta: jax.Array, x: jax.Array, *, form: str = 'factored',
                  method: str = 'auto') -> jax.Array:
  """Applies the linear map that the pattern and its blocks define.

  Args:
    pattern: the connectivity pattern.
    theta: `[K, C_in, C_out]` parameter blocks, K = pattern.num_blocks.
    x: `[batch, N_in, C_in]` input.
    form: 'factored' (never builds W) or 'materialized' (builds W, one matmul).
    method: the factored execution: 'auto', 'gather' or 'shift'; ignored when materialized.

  Returns:
    `[batch, N_out, C_out]`.
  """
  if form not in FORMS:
    raise ValueError(f'form={form!r}: expected one of {FORMS}')
  method = _resolve(method)
  check_operands(pattern, theta, x)
  batch, c_out = x.shape[0], theta.shape[2]
  if form == 'materialized':
    y = x.reshape(batch, -1) @ dense_matrix(pattern, theta)
    return y.reshape(batch, pattern.n_out, c_out)
  if pattern.is_dense:
    blocks = theta.reshape(pattern.n_out, pattern.n_in * theta.shape[1], c_out)
    return jnp.einsum('bp,qpo->bqo', x.reshape(batch, -1), blocks)
  if method == 'shift':
    return _shift(pattern, theta, x)
  return _gather(pattern, theta, x)

