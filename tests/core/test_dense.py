"""Fully connected: Dense against plain matmuls, and the CNN handed to a vanilla net."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib.core import contraction, layers, patterns
from lib_oracles import (CONFIG_IDS, CONFIGS, all_value_and_grads, assert_all_match, conv_lax,
                         local_lax, out_grid_of, random_like)

FORMS = {'factored': 'factored', 'materialized': 'materialized'}


def _normal_params(params, seed):
  leaves, tree = jax.tree_util.tree_flatten(params)
  keys = jax.random.split(jax.random.key(seed), len(leaves))
  return jax.tree_util.tree_unflatten(
      tree, [jax.random.normal(k, l.shape) for k, l in zip(keys, leaves)])


@pytest.mark.parametrize('in_shape', [(7,), (5, 2), (3, 4, 2)])
def test_dense_is_flatten_matmul(in_shape):
  units, batch = 3, 2
  dense = {f: layers.Dense(units, form=f) for f in FORMS}
  out_shape, params = dense['factored'].init(jax.random.key(0), in_shape)
  assert out_shape == (units,)
  assert params['kernel'].shape == (*in_shape, units) and params['bias'].shape == (units,)
  params = _normal_params(params, 1)
  x, cot = random_like(jax.random.key(2), (batch, *in_shape), (batch, units))

  fns = {f: (lambda layer: lambda x, p: layer.apply(p, x))(layer) for f, layer in dense.items()}
  fns['matmul'] = lambda x, p: (x.reshape(batch, -1) @ p['kernel'].reshape(-1, units) + p['bias'])
  assert_all_match(all_value_and_grads(fns, (x, params), cot), 'matmul')


def test_dense_with_out_grid_equals_materialized_and_einsum():
  in_shape, out_grid, units, batch = (4, 2), (3,), 2, 2
  dense = {f: layers.Dense(units, out_grid, form=f) for f in FORMS}
  out_shape, params = dense['factored'].init(jax.random.key(0), in_shape)
  assert out_shape == (*out_grid, units)
  # Kernel [*out_grid, *in_grid, C_in, units]; untied bias per output position.
  assert params['kernel'].shape == (3, 4, 2, units)
  assert params['bias'].shape == (3, units)
  params = _normal_params(params, 1)
  x, cot = random_like(jax.random.key(2), (batch, *in_shape), (batch, *out_shape))

  fns = {f: (lambda layer: lambda x, p: layer.apply(p, x))(layer) for f, layer in dense.items()}
  fns['einsum'] = lambda x, p: jnp.einsum('bpc,qpcu->bqu', x, p['kernel']) + p['bias']
  assert_all_match(all_value_and_grads(fns, (x, params), cot), 'einsum')


def _as_dense_kernel(w, pattern, c_in, c_out):
  """W [N_in*C_in, N_out*C_out] -> Dense's kernel [*out_grid, *in_grid, C_in, C_out]."""
  w = w.reshape(pattern.n_in, c_in, pattern.n_out, c_out).transpose(2, 0, 1, 3)
  return w.reshape(*pattern.out_grid, *pattern.in_grid, c_in, c_out)


@pytest.mark.parametrize('cfg', [CONFIGS[i] for i in (4, 10)], ids=[CONFIG_IDS[i] for i in (4, 10)])
def test_cnn_as_a_vanilla_net(cfg):
  """The CNN's materialized W, handed to a Dense with the conv's out_grid, computes the CNN."""
  pattern = patterns.convolution(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  out_grid = out_grid_of(cfg)
  x, kernel, bias = random_like(jax.random.key(0), (cfg.batch, *cfg.grid, cfg.c_in),
                                (*cfg.kernel, cfg.c_in, cfg.c_out), (cfg.c_out,))
  w = contraction.dense_matrix(pattern, kernel.reshape(-1, cfg.c_in, cfg.c_out))
  dense = layers.Dense(cfg.c_out, out_grid)
  out_shape, p0 = dense.init(jax.random.key(1), (*cfg.grid, cfg.c_in))
  assert out_shape == (*out_grid, cfg.c_out)
  params = {'kernel': _as_dense_kernel(w, pattern, cfg.c_in, cfg.c_out),
            'bias': jnp.broadcast_to(bias, p0['bias'].shape)}
  chex.assert_trees_all_equal_shapes(params, p0)
  # The vanilla net has N_out * N_in free blocks, most of them zero here.
  assert math.prod(params['kernel'].shape[:-2]) == pattern.n_out * pattern.n_in

  y_dense = jax.jit(dense.apply)(params, x)
  y_conv = conv_lax(cfg, x, kernel) + bias
  chex.assert_trees_all_close(y_dense, y_conv, atol=1e-4)


def test_lcn_as_a_vanilla_net():
  cfg = CONFIGS[6]
  pattern = patterns.locally_connected(cfg.grid, cfg.kernel, cfg.strides, cfg.padding,
                                       cfg.dilation)
  out_grid = out_grid_of(cfg)
  x, kernel = random_like(jax.random.key(0), (cfg.batch, *cfg.grid, cfg.c_in),
                          (*out_grid, *cfg.kernel, cfg.c_in, cfg.c_out))
  w = contraction.dense_matrix(pattern, kernel.reshape(-1, cfg.c_in, cfg.c_out))
  dense = layers.Dense(cfg.c_out, out_grid, use_bias=False)
  y = dense.apply({'kernel': _as_dense_kernel(w, pattern, cfg.c_in, cfg.c_out)}, x)
  chex.assert_trees_all_close(y, local_lax(cfg, x, kernel), atol=1e-4)
  # Exactly the masked entries are nonzero.
  nonzero = np.abs(np.asarray(w)).reshape(pattern.n_in, cfg.c_in, pattern.n_out, cfg.c_out)
  np.testing.assert_array_equal(nonzero.sum((1, 3)).T > 0, pattern.mask)
