"""What the learned-locality experiment measures of a trained layer: scores of its weight rows.

The mean locality and tying scores (`lib.analysis.locality`) of a layer's rows and its share of exact
zeros, for the first layer of an MLP or of a CNN's dense twin, trained or at initialisation.
"""

import jax
import jax.numpy as jnp
import numpy as np

from lib.analysis import locality

def dense_rows(kernel: jax.Array) -> jax.Array:
  """`[N_out * C_out, *in_grid, C_in]` from a grid Dense kernel `[*out_grid, *in_grid, C_in, C_out]`.

  Args:
    kernel: the first layer of a dense twin (`lib.core.models.dense_twin`), whose out grid has as many
      dimensions as its in grid.
  """
  ndim = (kernel.ndim - 2) // 2
  rows = jnp.moveaxis(kernel, -1, ndim)  # [*out_grid, C_out, *in_grid, C_in]
  return rows.reshape(-1, *kernel.shape[ndim:-1])


def scores(rows: jax.Array, window) -> dict:
  """Mean locality and tying of a layer's rows `[units, *grid, C_in]`, and its share of exact zeros."""
  return {'locality': locality.locality_score(rows, window).mean(),
          'tying': locality.tying_score(rows, window).mean(),
          'zero_fraction': jnp.mean(rows == 0)}


def baseline(layers_at_init: dict, keys: jax.Array) -> dict:
  """Mean scores of first layers at initialisation, the level that says 'nothing was learned'.

  Args:
    layers_at_init: `{name: (rows_fn, window)}`, `rows_fn(key) -> [units, *grid, C_in]`.
    keys: `[inits]` keys, one initialisation each.

  Returns:
    `{name: {'locality', 'tying', 'zero_fraction'}}` as floats.
  """
  out = {}
  for name, (rows_fn, window) in layers_at_init.items():
    values = jax.jit(jax.vmap(lambda k: scores(rows_fn(k), window)))(keys)  # pylint: disable=cell-var-from-loop
    out[name] = {k: float(np.mean(v)) for k, v in values.items()}
  return out
