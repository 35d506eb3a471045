"""Augmentations inside a compiled program: `augment(key, x [batch, *grid, C]) -> x`, the engine's hook."""

import jax
import jax.numpy as jnp


def random_circular_shift(key: jax.Array, x: jax.Array) -> jax.Array:
  """Rolls every example of a 1-D batch by its own uniform random shift (content wraps around).

  Args:
    key: the random key.
    x: `[batch, positions, channels]`.

  Returns:
    `[batch, positions, channels]`; example b is `np.roll(x[b], s_b, axis=0)`, s_b uniform in
    [0, positions).
  """
  size = x.shape[1]
  shifts = jax.random.randint(key, (x.shape[0],), 0, size)
  index = (jnp.arange(size)[None, :] - shifts[:, None]) % size
  return jnp.take_along_axis(x, index[:, :, None], axis=1)
