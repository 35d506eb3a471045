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


def test_stride1_stacks_are_builds_without_their_readout():
  """hidden_stack, conv_stack and conv_stack_classifier compute what `build` computes, stage by stage."""
  x = jax.random.normal(jax.random.key(1), (2, 12, 3))
  whole = models.build('cnn', num_classes=4, depth=3, width=5, kernel_size=3)
  _, params = whole.init(jax.random.key(0), (12, 3))
  hidden = models.hidden_stack('cnn', depth=3, width=5, kernel_size=3)
  chex.assert_trees_all_close(hidden.apply(params[:6], x),
                              jax.nn.relu(models.conv_stack(3, 5).apply(params[:5], x)))
  classifier = models.conv_stack_classifier(3, 5, 4)
  nested = (params[:5], (), (), params[7])
  chex.assert_trees_all_close(classifier.apply(nested, x), whole.apply(params, x), atol=1e-6)
  assert hidden.describe((12, 3))[0] == (12, 5)


def test_mlp_features_are_its_first_four_layers():
  mlp, features = models.mnist1d_mlp(), models.mnist1d_mlp(readout=False)
  _, params = mlp.init(jax.random.key(0), (40, 1))
  x = jax.random.normal(jax.random.key(1), (3, 40, 1))
  h = features.apply(params[:4], x)
  assert h.shape == (3, 100)
  assert params[4]['kernel'].shape == (100, 10)
  chex.assert_trees_all_close(h @ params[4]['kernel'] + params[4]['bias'], mlp.apply(params, x),
                              atol=1e-5)


def test_flax_peer_is_the_papers_cnn():
  """FlaxMnist1dCnn, given mnist1d_cnn's parameters, computes mnist1d_cnn (the benchmarks' peer)."""
  ours = models.mnist1d_cnn()
  _, params = ours.init(jax.random.key(0), (40, 1))
  convs = [p for p in params if p]
  names = ('Conv_0', 'Conv_1', 'Conv_2', 'Dense_0')
  flax_params = {'params': dict(zip(names, convs))}
  x = jax.random.normal(jax.random.key(1), (3, 40, 1))
  with jax.default_matmul_precision('highest'):
    expected = ours.apply(params, x)
    got = models.FlaxMnist1dCnn().apply(flax_params, x)
  chex.assert_trees_all_close(got, expected, atol=1e-5, rtol=1e-5)
