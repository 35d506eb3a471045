"""beta-LASSO (Neyshabur 2020) as an optax transformation.

Each step, for every weight w with gradient g:

    w <- w - eta * (g + lambda * sign(w))        an SGD step and an L1 step
    w <- 0   where |w| < beta * lambda           hard thresholding

The threshold is `beta * lambda`, not scaled by the learning rate, so small weights are removed outright
rather than shrunk: the paper's argument is that this drives an FC net towards few, local connections.
"""

import math
from typing import Callable

import jax
import jax.numpy as jnp
import optax


def beta_lasso(learning_rate: float, l1: float, beta: float, mask: Callable | None = None,
               schedule: Callable | None = None) -> optax.GradientTransformation:
  """The beta-LASSO optimizer.

  Args:
    learning_rate: eta, positive (its value at step 0 when `schedule` is given).
    l1: lambda, the L1 coefficient, non-negative.
    beta: the threshold multiplier, non-negative.
    mask: optional `params -> pytree of bools`: leaves marked False (e.g. biases) take plain SGD steps.
    schedule: optional `step -> eta` (e.g. `optax.cosine_decay_schedule`) replacing the constant
      eta; the threshold beta * lambda does not follow it.

  Returns:
    A transformation whose `update(grads, state, params)` needs params; `optax.apply_updates` then gives
    the thresholded weights.

  Raises:
    ValueError: a hyperparameter is out of range.
  """
  if not 0 < learning_rate < math.inf:
    raise ValueError(f'learning_rate={learning_rate!r}: must be positive and finite')
  if not 0 <= l1 < math.inf:
    raise ValueError(f'l1={l1!r}: must be non-negative and finite')
  if not 0 <= beta < math.inf:
    raise ValueError(f'beta={beta!r}: must be non-negative and finite')

  def update(grads, state, params=None):
    if params is None:
      raise ValueError('beta_lasso needs params: call update(grads, state, params)')
    rate = learning_rate if schedule is None else schedule(state.count)
    chosen = jax.tree_util.tree_map(lambda _: True, params) if mask is None else mask(params)

    def step(g, w, on):
      if not on:
        return -rate * g
      moved = w - rate * (g + l1 * jnp.sign(w))
      kept = jnp.where(jnp.abs(moved) < beta * l1, 0.0, moved)
      return kept - w

    updates = jax.tree_util.tree_map(step, grads, params, chosen)
    return updates, optax.ScaleByScheduleState(count=state.count + 1)

  init = lambda params: optax.ScaleByScheduleState(count=jnp.zeros((), jnp.int32))
  return optax.GradientTransformation(init, update)


def kernels_only(params) -> object:
  """A `mask` for `beta_lasso`: True for every 'kernel' leaf, False for biases."""
  def is_kernel(path, _):
    return any(getattr(key, 'key', None) == 'kernel' for key in path)
  return jax.tree_util.tree_map_with_path(is_kernel, params)
