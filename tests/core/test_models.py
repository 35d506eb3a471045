"""Model builders: output shapes for every family and readout, forms agree, the named zoo."""

import chex
import jax
import pytest

from lib.core import models

BUILDS = [(f, r) for f in models.FAMILIES for r in models.READOUTS if not (f == 'fc' and r == 'gap')]


@pytest.mark.parametrize('in_shape', [(12, 1), (6, 5, 2)])
@pytest.mark.parametrize('family,readout', BUILDS)
def test_build_output_shape(family, readout, in_shape):
  model = models.build(family, num_classes=4, depth=2, width=3, kernel_size=3,
                       strides=[1, 2], readout=readout)
  out_shape, params = model.init(jax.random.key(0), in_shape)
  assert out_shape == (4,)
  assert model.describe(in_shape)[0] == (4,)
  x = jax.random.normal(jax.random.key(1), (2, *in_shape))
  y = jax.jit(model.apply)(params, x)
  assert y.shape == (2, 4)
  chex.assert_tree_all_finite(y)


@pytest.mark.parametrize('name', sorted(models.ZOO))
def test_zoo_forms_agree(name):
  """The same parameters through the factored and the materialized model give the same logits."""
  factored = models.by_name(name)
  materialized = models.by_name(name, form='materialized')
  out_shape, params = factored.init(jax.random.key(0), (40, 1))
  assert out_shape == (10,)
  x = jax.random.normal(jax.random.key(1), (3, 40, 1))
  y = jax.jit(factored.apply)(params, x)
  assert y.shape == (3, 10)
  chex.assert_trees_all_close(y, jax.jit(materialized.apply)(params, x), atol=1e-4)
