"""How localised a weight vector is: its inverse participation ratio (IPR).

    IPR(w) = sum_i w_i^4 / (sum_i w_i^2)^2

1 when one entry carries all the weight, 1/D when D entries carry it equally: 1/IPR is the number of
entries that participate. Ingrosso and Goldt (PNAS 2022) track it for the first-layer weights of a
network trained on translation-invariant inputs: it grows when the weights localise.
"""

import jax
import jax.numpy as jnp


def ipr(rows: jax.Array) -> jax.Array:
  """The IPR of each row.

  Args:
    rows: `[units, ...]`; each unit's weights over every remaining axis (positions, channels).

  Returns:
    `[units]` in [1/D, 1] (D the entries per unit); 0 for an all-zero row.
  """
  flat = rows.reshape(rows.shape[0], -1)
  squares = jnp.sum(flat ** 2, -1)
  return jnp.where(squares > 0, jnp.sum(flat ** 4, -1) / jnp.where(squares > 0, squares, 1) ** 2,
                   0.0)


def centred(rows: jax.Array) -> jax.Array:
  """Rows of a 1-D periodic input rolled so that each unit's largest weight energy sits mid-grid.

  Args:
    rows: `[units, N, C]`.

  Returns:
    `[units, N, C]`: a window score of the result does not split a field at the ring's seam.
  """
  energy = jnp.sum(rows ** 2, -1)  # [units, N]
  shift = rows.shape[1] // 2 - jnp.argmax(energy, -1)
  return jax.vmap(lambda row, s: jnp.roll(row, s, axis=0))(rows, shift)
