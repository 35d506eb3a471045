"""Convolution: lib's factored ('gather', 'shift') and materialized forms against lax and flax.

Forward values and gradients (w.r.t. the input and every parameter, through a random cotangent),
float32, max abs error 1e-4. Both the primitive (`apply_pattern` on a `patterns.convolution`) and the
layer API (`layers.Conv`) are checked.
"""

import math

import chex
import jax
import jax.numpy as jnp
import pytest

from lib.core import contraction, layers, patterns
from primitive_fn import primitive_fn
from lib_oracles import (ATOL, CONFIG_IDS, CONFIGS, all_value_and_grads, assert_all_match,
                         conv_flax, conv_lax, factored_forms, out_grid_of, random_like)

FORMS = factored_forms()


def _conv_pattern(cfg):
  return patterns.convolution(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)


@pytest.mark.parametrize('cfg', CONFIGS, ids=CONFIG_IDS)
def test_primitive_matches_lax_conv(cfg):
  out_grid = out_grid_of(cfg)
  pattern = _conv_pattern(cfg)
  assert pattern.out_grid == out_grid
  assert pattern.num_blocks == math.prod(cfg.kernel)
  x, kernel, cot = random_like(jax.random.key(0), (cfg.batch, *cfg.grid, cfg.c_in),
                               (*cfg.kernel, cfg.c_in, cfg.c_out), (cfg.batch, *out_grid, cfg.c_out))

  fns = {name: primitive_fn(pattern, cfg, out_grid, *fm) for name, fm in FORMS.items()}
  fns['lax'] = lambda x, k: conv_lax(cfg, x, k)
  results = all_value_and_grads(fns, (x, kernel), cot)
  assert results['lax'][0].shape == cot.shape
  assert_all_match(results, 'lax')


@pytest.mark.parametrize('cfg', CONFIGS[::3], ids=CONFIG_IDS[::3])
def test_conv_layer_matches_flax_conv(cfg):
  in_shape = (*cfg.grid, cfg.c_in)
  conv_layers = {name: layers.Conv(cfg.c_out, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation,
                                   form=form, method=method)
                 for name, (form, method) in FORMS.items()}
  for layer in conv_layers.values():
    out_shape, params = layer.init(jax.random.key(1), in_shape)
    assert out_shape == (*out_grid_of(cfg), cfg.c_out)
    # flax.linen.Conv's layout: kernel [*k, C_in, C_out], bias [C_out].
    chex.assert_trees_all_equal_shapes(
        params, {'kernel': jnp.zeros((*cfg.kernel, cfg.c_in, cfg.c_out)),
                 'bias': jnp.zeros(cfg.c_out)})
  # Unit-scale parameters rather than the small default init.
  params = {'kernel': jax.random.normal(jax.random.key(2), params['kernel'].shape),
            'bias': jax.random.normal(jax.random.key(3), params['bias'].shape)}
  x, cot = random_like(jax.random.key(4), (cfg.batch, *in_shape), (cfg.batch, *out_shape))

  fns = {name: (lambda layer: lambda x, p: layer.apply(p, x))(layer)
         for name, layer in conv_layers.items()}
  fns['flax'] = lambda x, p: conv_flax(cfg, x, p['kernel'], p['bias'])
  assert_all_match(all_value_and_grads(fns, (x, params), cot), 'flax')


@pytest.mark.parametrize('cfg', CONFIGS[1::3], ids=CONFIG_IDS[1::3])
def test_dense_matrix_is_the_jacobian_of_lax_conv(cfg):
  """The materialized W is exactly the linear map lax computes: W = d conv(x) / d x."""
  pattern = _conv_pattern(cfg)
  (kernel,) = random_like(jax.random.key(5), (*cfg.kernel, cfg.c_in, cfg.c_out))
  w = contraction.dense_matrix(pattern, kernel.reshape(-1, cfg.c_in, cfg.c_out))
  assert w.shape == (pattern.n_in * cfg.c_in, pattern.n_out * cfg.c_out)

  def conv_flat(x_flat):
    x = x_flat.reshape(1, *cfg.grid, cfg.c_in)
    return conv_lax(cfg, x, kernel).reshape(-1)

  jac = jax.jacfwd(conv_flat)(jnp.zeros(pattern.n_in * cfg.c_in))  # [N_out*C_out, N_in*C_in]
  chex.assert_trees_all_close(w, jac.T, atol=ATOL)


def test_auto_method_matches_lax():
  cfg = CONFIGS[1]
  pattern = _conv_pattern(cfg)
  x, kernel = random_like(jax.random.key(6), (cfg.batch, *cfg.grid, cfg.c_in),
                          (*cfg.kernel, cfg.c_in, cfg.c_out))
  y = contraction.apply_pattern(pattern, kernel.reshape(-1, cfg.c_in, cfg.c_out),
                                x.reshape(cfg.batch, -1, cfg.c_in))
  chex.assert_trees_all_close(y.reshape(cfg.batch, *pattern.out_grid, cfg.c_out),
                              conv_lax(cfg, x, kernel), atol=ATOL)
