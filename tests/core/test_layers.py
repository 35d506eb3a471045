"""Layer plumbing: composition, pooling against flax, global pooling, flatten, residual, vmap."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn

from lib.core import layers
from lib_oracles import (CONFIGS, Cfg, conv_flax, factored_forms, lax_padding, local_flax, out_grid_of,
                         random_like)


def test_serial_shapes_describe_and_composition():
  model = layers.serial(layers.Conv(4, 3), layers.Relu,
                        layers.Local(3, 2, strides=2, padding='VALID'), layers.Relu,
                        layers.AvgPool(2, padding='SAME'), layers.Flatten, layers.Dense(5))
  in_shape = (9, 2)
  out_shape, params = model.init(jax.random.key(0), in_shape)
  assert out_shape == (5,)
  assert len(params) == 7
  d_shape, infos = model.describe(in_shape)
  assert d_shape == out_shape
  assert [(i.name, i.pattern.in_grid, i.pattern.out_grid, i.c_in, i.c_out) for i in infos] == [
      ('Conv', (9,), (9,), 2, 4), ('Local', (9,), (4,), 4, 3), ('Dense', (), (), 6, 5)]
  x = jax.random.normal(jax.random.key(1), (2, *in_shape))
  y = jax.jit(model.apply)(params, x)
  assert y.shape == (2, 5)

  # The composition is the layers applied one after the other, each checked against flax/numpy.
  conv_p, _, local_p, _, _, _, dense_p = params
  h = jax.nn.relu(nn.Conv(4, 3).apply({'params': conv_p}, x))
  cfg = Cfg((9,), (2,), (2,), 'VALID', (1,), 4, 3, 2)
  h = jax.nn.relu(local_flax(cfg, h, local_p['kernel'], local_p['bias']))
  h = nn.avg_pool(h, (2,), (2,), 'SAME')
  h = h.reshape(2, -1) @ dense_p['kernel'] + dense_p['bias']
  chex.assert_trees_all_close(y, h, atol=1e-5)


@pytest.mark.parametrize('shape,window,strides,padding', [
    ((9, 2), 2, None, 'VALID'),
    ((9, 2), 3, 2, 'SAME'),
    ((8, 1), (2,), 1, [(1, 0)]),
    ((6, 7, 2), (2, 2), None, 'VALID'),
    ((6, 7, 2), (3, 2), (2, 1), 'SAME'),
    ((5, 5, 1), 2, 2, [(0, 1), (1, 1)]),
])
def test_pooling_matches_flax(shape, window, strides, padding):
  ndim = len(shape) - 1
  window_t = (window,) * ndim if isinstance(window, int) else tuple(window)
  strides_t = window_t if strides is None else (
      (strides,) * ndim if isinstance(strides, int) else tuple(strides))
  x = jax.random.normal(jax.random.key(0), (2, *shape))
  layer = layers.AvgPool(window, strides, padding)
  out_shape, params = layer.init(None, shape)
  assert params == {}
  expected = nn.avg_pool(x, window_t, strides_t, lax_padding(padding, ndim))
  y = layer.apply(params, x)
  assert y.shape == (2, *out_shape)
  chex.assert_trees_all_close(y, expected, atol=1e-6)


def test_global_avg_pool_and_flatten():
  for shape in ((7, 3), (4, 5, 2)):
    x = jax.random.normal(jax.random.key(0), (2, *shape))
    out_shape, _ = layers.GlobalAvgPool.init(None, shape)
    assert out_shape == (shape[-1],)
    expected = np.asarray(x).mean(axis=tuple(range(1, len(shape))))
    chex.assert_trees_all_close(layers.GlobalAvgPool.apply({}, x), expected, atol=1e-6)
    out_shape, _ = layers.Flatten.init(None, shape)
    assert out_shape == (int(np.prod(shape)),)
    np.testing.assert_array_equal(layers.Flatten.apply({}, x), np.asarray(x).reshape(2, -1))


def test_residual():
  block = layers.residual(layers.Conv(3, 3))
  out_shape, params = block.init(jax.random.key(0), (8, 3))
  assert out_shape == (8, 3)
  x = jax.random.normal(jax.random.key(1), (2, 8, 3))
  expected = x + nn.Conv(3, 3).apply({'params': params}, x)
  chex.assert_trees_all_close(block.apply(params, x), expected, atol=1e-5)
  with pytest.raises(ValueError, match=r'residual.*\(8, 3\).*\(8, 4\)'):
    layers.residual(layers.Conv(4, 3)).init(jax.random.key(0), (8, 3))
  with pytest.raises(ValueError, match=r'residual.*\(4, 3\)'):
    layers.residual(layers.Conv(3, 3, strides=2)).describe((8, 3))


@pytest.mark.parametrize('family', ['conv', 'local'])
def test_jit_vmap_over_params(family):
  """Several models' parameters, vmapped through one jitted apply (and its gradient)."""
  cfg = CONFIGS[4]
  seeds = 3
  make = layers.Conv if family == 'conv' else layers.Local
  oracle = conv_flax if family == 'conv' else local_flax
  x, cot = random_like(jax.random.key(0), (cfg.batch, *cfg.grid, cfg.c_in),
                       (cfg.batch, *out_grid_of(cfg), cfg.c_out))
  for name, (form, method) in factored_forms().items():
    if form != 'factored':
      continue
    layer = make(cfg.c_out, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation, method=method)
    stacked = jax.vmap(lambda k: layer.init(k, (*cfg.grid, cfg.c_in))[1])(
        jax.random.split(jax.random.key(1), seeds))

    def loss(p):
      return jnp.sum(layer.apply(p, x) * cot)

    ys, grads = jax.jit(jax.vmap(lambda p: (layer.apply(p, x), jax.grad(loss)(p))))(stacked)
    assert ys.shape == (seeds, *cot.shape)
    for s in range(seeds):
      p = jax.tree_util.tree_map(lambda a, s=s: a[s], stacked)
      y_ref, vjp = jax.vjp(lambda p: oracle(cfg, x, p['kernel'], p['bias']), p)
      chex.assert_trees_all_close(ys[s], y_ref, atol=1e-4, custom_message=name)
      chex.assert_trees_all_close(jax.tree_util.tree_map(lambda a, s=s: a[s], grads), vjp(cot)[0],
                                  atol=1e-4, custom_message=name)
