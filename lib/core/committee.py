"""The two-layer committee of Ingrosso and Goldt (PNAS 2022), its first layer FC, LCN or CNN.

    h_u = w_u . x / sqrt(fan_in) + b_u,    m = mean_u erf(h_u / sqrt 2),    logits = (m, -m)

u runs over every hidden unit (K channels at every output position for LCN and CNN); the second layer
is fixed (every unit votes for class 0 with weight 1/H, H hidden units: mean-field scaling), so only the
first layer and its biases learn. Trained by MSE on the targets (+1, -1) for class 0 and (-1, +1) for
class 1, class 0 wins when m > 0. The first layer is the project's primitive: a `Dense` (fc), a masked
`Local` (lcn) or a masked, tied `Conv` (cnn), SAME zero padding.

Initialisation: weights N(0, 0.1^2); biases +1 for the first half of the channels and -1 for the
rest (Ingrosso and Goldt's trained biases), breaking the symmetry between units.
"""

import math

import jax
import jax.numpy as jnp
import optax

from lib.core import contraction, layers

FAMILIES = ('fc', 'lcn', 'cnn')
INIT_STD = 0.1


def first_layer(family: str, hidden: int, kernel_size: int) -> layers.Layer:
  """The trained layer: Dense(hidden), or Local / Conv(hidden, kernel_size)."""
  if family == 'fc':
    return layers.Dense(hidden)
  if family in ('lcn', 'cnn'):
    return (layers.Local if family == 'lcn' else layers.Conv)(hidden, kernel_size)
  raise ValueError(f'family={family!r}: expected one of {FAMILIES}')


def fan_in(family: str, in_shape, kernel_size: int) -> int:
  """Inputs each hidden unit sees: every position and channel (fc), or kernel taps x channels."""
  grid, channels = in_shape[:-1], in_shape[-1]
  return channels * (math.prod(grid) if family == 'fc' else kernel_size ** len(grid))


def committee(family: str, hidden: int = 8, kernel_size: int = 5) -> layers.Layer:
  """The committee as a Layer: `apply(params, x [batch, *grid, C]) -> logits [batch, 2]`.

  Params are the first layer's `{'kernel', 'bias'}` (`first_layer`).
  """
  first = first_layer(family, hidden, kernel_size)

  def describe(in_shape):
    _, infos = first.describe(in_shape)
    return (2,), infos

  def init(key, in_shape):
    _, params = first.init(key, in_shape)
    sign = jnp.where(jnp.arange(hidden) < hidden // 2, 1.0, -1.0)
    return (2,), {'kernel': INIT_STD * jax.random.normal(key, params['kernel'].shape),
                  'bias': jnp.broadcast_to(sign, params['bias'].shape)}

  def apply(params, x):
    h = first.apply(params, x / math.sqrt(fan_in(family, x.shape[1:], kernel_size)))
    m = jax.lax.erf(h / math.sqrt(2)).reshape(x.shape[0], -1).mean(-1)
    return jnp.stack([m, -m], -1)

  return layers.Layer(init, apply, describe)


def mse(logits: jax.Array, y: jax.Array) -> jax.Array:
  """Per-example mean squared error `[batch]` against the targets +-1 (class y's output +1)."""
  targets = 2.0 * jax.nn.one_hot(y, logits.shape[-1]) - 1.0
  return jnp.mean((logits - targets) ** 2, -1)


def units_per_block(family: str, in_shape, kernel_size: int, hidden: int) -> int:
  """Hidden units that share one weight of the first layer: H for fc and lcn (every unit owns its
  weights, H = all units) divided by the positions that share it (cnn: every output position)."""
  positions = 1 if family == 'fc' else math.prod(in_shape[:-1])
  return hidden * (1 if family == 'cnn' else positions)


def sgd(family: str, in_shape, kernel_size: int, hidden: int, learning_rate: float):
  """Plain SGD with the mean-field scaling: the weights' rate is `learning_rate` times the hidden
  units sharing a weight (`units_per_block`: K for fc, as Ingrosso and Goldt's `lr * K`), the biases'
  that over the input size D (their `lr / D`). Every hidden unit's weights and bias then move at the
  same rate in all three families."""
  rate = learning_rate * units_per_block(family, in_shape, kernel_size, hidden)
  bias_rate = rate / math.prod(in_shape)
  return optax.multi_transform({'kernel': optax.sgd(rate), 'bias': optax.sgd(bias_rate)},
                               {'kernel': 'kernel', 'bias': 'bias'})


def dense_rows(family: str, params, in_shape, hidden: int, kernel_size: int) -> jax.Array:
  """Every hidden unit's weights over the input, `[units, *grid, C]`: fc's K rows, or the rows of
  the LCN's or CNN's dense-equivalent matrix (`contraction.dense_matrix`), zero off the mask."""
  if family == 'fc':
    return jnp.moveaxis(params['kernel'], -1, 0)
  _, (info,) = first_layer(family, hidden, kernel_size).describe(tuple(in_shape))
  theta = params['kernel'].reshape(info.pattern.num_blocks, info.c_in, hidden)
  dense = contraction.dense_matrix(info.pattern, theta)  # [N_in * C_in, N_out * C_out]
  return dense.T.reshape(-1, *in_shape)
