"""Locally connected: lib's factored and materialized forms against flax.linen.ConvLocal.

flax's ConvLocal kernel is `[*out_grid, C_in * prod(kernel), C_out]` with the features of
conv_general_dilated_patches, channel-major; lib's Local kernel is `[*out_grid, *kernel, C_in, C_out]`.
`lib_oracles.to_flax_local` maps one to the other; the first test pins flax's layout down
independently of lib, so the comparisons below cannot pass by a shared mistake.
"""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn

from lib.core import layers, patterns
from primitive_fn import primitive_fn
from lib_oracles import (CONFIG_IDS, CONFIGS, all_value_and_grads, assert_all_match,
                         factored_forms, local_flax, out_grid_of, random_like)

FORMS = factored_forms()


def test_flax_convlocal_feature_order():
  """Feature f of ConvLocal's kernel reads channel f // K at tap f % K (K = prod(kernel))."""
  c_in, k, stride, lo = 2, 3, 2, 1
  x = jax.random.normal(jax.random.key(0), (1, 7, c_in))
  module = nn.ConvLocal(1, kernel_size=(k,), strides=stride, padding=[(lo, 1)], use_bias=False)
  shape = module.init(jax.random.key(1), x)['params']['kernel'].shape
  assert shape == (4, k * c_in, 1)
  apply = jax.jit(lambda kernel: module.apply({'params': {'kernel': kernel}}, x))
  for q in range(shape[0]):
    for f in range(shape[1]):
      kernel = np.zeros(shape, np.float32)
      kernel[q, f, 0] = 1.0
      y = np.asarray(apply(kernel))[0, :, 0]
      c, t = divmod(f, k)
      p = q * stride + t - lo
      expected = np.zeros(shape[0], np.float32)
      expected[q] = x[0, p, c] if 0 <= p < 7 else 0.0
      np.testing.assert_array_equal(y, expected, err_msg=f'q={q} f={f}')


@pytest.mark.parametrize('cfg', CONFIGS, ids=CONFIG_IDS)
def test_primitive_matches_flax_convlocal(cfg):
  out_grid = out_grid_of(cfg)
  pattern = patterns.locally_connected(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  assert pattern.out_grid == out_grid
  assert pattern.num_blocks == math.prod(out_grid) * math.prod(cfg.kernel)
  x, kernel, cot = random_like(jax.random.key(0), (cfg.batch, *cfg.grid, cfg.c_in),
                               (*out_grid, *cfg.kernel, cfg.c_in, cfg.c_out),
                               (cfg.batch, *out_grid, cfg.c_out))

  fns = {name: primitive_fn(pattern, cfg, out_grid, *fm) for name, fm in FORMS.items()}
  fns['flax'] = lambda x, k: local_flax(cfg, x, k)
  results = all_value_and_grads(fns, (x, kernel), cot)
  assert results['flax'][0].shape == cot.shape
  assert_all_match(results, 'flax')


@pytest.mark.parametrize('cfg', CONFIGS[1::3], ids=CONFIG_IDS[1::3])
def test_local_layer_matches_flax_convlocal(cfg):
  in_shape = (*cfg.grid, cfg.c_in)
  out_grid = out_grid_of(cfg)
  local_layers = {name: layers.Local(cfg.c_out, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation,
                                     form=form, method=method)
                  for name, (form, method) in FORMS.items()}
  for layer in local_layers.values():
    out_shape, params = layer.init(jax.random.key(1), in_shape)
    assert out_shape == (*out_grid, cfg.c_out)
    # Untied: a bias per output position and channel, as flax's ConvLocal has.
    chex.assert_trees_all_equal_shapes(
        params, {'kernel': jnp.zeros((*out_grid, *cfg.kernel, cfg.c_in, cfg.c_out)),
                 'bias': jnp.zeros((*out_grid, cfg.c_out))})
  params = {'kernel': jax.random.normal(jax.random.key(2), params['kernel'].shape),
            'bias': jax.random.normal(jax.random.key(3), params['bias'].shape)}
  x, cot = random_like(jax.random.key(4), (cfg.batch, *in_shape), (cfg.batch, *out_shape))

  fns = {name: (lambda layer: lambda x, p: layer.apply(p, x))(layer)
         for name, layer in local_layers.items()}
  fns['flax'] = lambda x, p: local_flax(cfg, x, p['kernel'], p['bias'])
  assert_all_match(all_value_and_grads(fns, (x, params), cot), 'flax')
