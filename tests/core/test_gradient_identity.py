"""The gradient identity: a CNN's kernel gradient is the dense W's gradient summed over each tied set
(restricted to the mask); an LCN's untied block gradient is W's gradient at that block.

W's gradient is computed with W as its own leaf (a vanilla dense layer); the CNN/LCN gradients come
from lax's own convolutions, and from lib's forms, and must equal the tied/masked sums of it.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import chex
from lib.core import contraction, patterns
from lib_oracles import (ATOL, CONFIG_IDS, CONFIGS, conv_lax, factored_forms, local_lax,
                         out_grid_of, random_like)

FORMS = factored_forms()
# 1-D and 2-D, strided, dilated, asymmetric padding.
GRAD_CONFIGS = [CONFIGS[i] for i in (5, 6, 10)]
GRAD_IDS = [CONFIG_IDS[i] for i in (5, 6, 10)]


def _dense_grad(cfg, x, cot, n_in, n_out):
  """d <cot, x_flat @ W> / dW with W a free dense leaf: [N_in, C_in, N_out, C_out]."""
  def loss(w):
    y = x.reshape(cfg.batch, -1) @ w
    return jnp.sum(cot.reshape(cfg.batch, -1) * y)
  w0 = jnp.zeros((n_in * cfg.c_in, n_out * cfg.c_out))
  g = jax.grad(loss)(w0)
  return np.asarray(g).reshape(n_in, cfg.c_in, n_out, cfg.c_out)


def _theta_grads(pattern, cfg, x, kernel, cot, oracle):
  """{'oracle': lax's kernel gradient as [K, C_in, C_out], name: lib's for every form}, one jit."""

  @jax.jit
  def grads(x, kernel, cot):
    out = {'oracle': jax.grad(lambda k: jnp.sum(oracle(cfg, x, k) * cot))(kernel)}
    theta = kernel.reshape(pattern.num_blocks, cfg.c_in, cfg.c_out)
    out['oracle'] = out['oracle'].reshape(theta.shape)
    for name, (form, method) in FORMS.items():
      def loss(th, form=form, method=method):
        y = contraction.apply_pattern(pattern, th, x.reshape(cfg.batch, -1, cfg.c_in), form=form,
                                      method=method)
        return jnp.sum(y * cot.reshape(y.shape))
      out[name] = jax.grad(loss)(theta)
    return out

  return grads(x, kernel, cot)


@pytest.mark.parametrize('cfg', GRAD_CONFIGS, ids=GRAD_IDS)
def test_cnn_gradient_is_tied_sum_of_dense_gradient(cfg):
  pattern = patterns.convolution(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  out_grid = out_grid_of(cfg)
  x, kernel, cot = random_like(jax.random.key(0), (cfg.batch, *cfg.grid, cfg.c_in),
                               (*cfg.kernel, cfg.c_in, cfg.c_out), (cfg.batch, *out_grid, cfg.c_out))
  g_w = _dense_grad(cfg, x, cot, pattern.n_in, pattern.n_out)

  # Sum W's gradient over each tied set, using only the pattern's block_of / mask.
  block_of, mask = pattern.block_of, pattern.mask
  assert ((block_of >= 0) == mask).all()
  expected = np.zeros((pattern.num_blocks, cfg.c_in, cfg.c_out), np.float32)
  for q, p in zip(*np.nonzero(mask)):
    expected[block_of[q, p]] += g_w[p, :, q, :]

  # The oracle (lax's convolution kernel gradient) and lib's forms.
  theta = kernel.reshape(expected.shape)
  for name, g in _theta_grads(pattern, cfg, x, kernel, cot, conv_lax).items():
    chex.assert_trees_all_close(g, expected, atol=ATOL, custom_message=name)

  # dense_matrix's pullback: W's gradient maps to the tied sums; off-mask entries contribute nothing.
  _, pullback = jax.vjp(lambda th: contraction.dense_matrix(pattern, th), theta)
  g_w_flat = g_w.reshape(pattern.n_in * cfg.c_in, pattern.n_out * cfg.c_out)
  chex.assert_trees_all_close(pullback(jnp.asarray(g_w_flat))[0], expected, atol=ATOL)
  off_mask = np.broadcast_to(~mask.T[:, None, :, None], g_w.shape)
  assert off_mask.any()
  noise = np.random.default_rng(0).normal(size=g_w.shape).astype(np.float32) * off_mask
  (g_off,) = pullback(jnp.asarray(noise.reshape(g_w_flat.shape)))
  chex.assert_trees_all_close(g_off, np.zeros_like(expected), atol=0)


@pytest.mark.parametrize('cfg', GRAD_CONFIGS, ids=GRAD_IDS)
def test_lcn_gradient_is_dense_gradient_per_block(cfg):
  pattern = patterns.locally_connected(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  out_grid = out_grid_of(cfg)
  x, kernel, cot = random_like(jax.random.key(1), (cfg.batch, *cfg.grid, cfg.c_in),
                               (*out_grid, *cfg.kernel, cfg.c_in, cfg.c_out),
                               (cfg.batch, *out_grid, cfg.c_out))
  g_w = _dense_grad(cfg, x, cot, pattern.n_in, pattern.n_out)

  # Each untied block is W's gradient at its one (p, q); padding taps get nothing.
  block_of, mask = pattern.block_of, pattern.mask
  expected = np.zeros((pattern.num_blocks, cfg.c_in, cfg.c_out), np.float32)
  hits = np.zeros(pattern.num_blocks, int)
  for q, p in zip(*np.nonzero(mask)):
    expected[block_of[q, p]] = g_w[p, :, q, :]
    hits[block_of[q, p]] += 1
  assert hits.max() == 1  # untied: no block is used twice

  theta = kernel.reshape(expected.shape)
  for name, g in _theta_grads(pattern, cfg, x, kernel, cot, local_lax).items():
    chex.assert_trees_all_close(g, expected, atol=ATOL, custom_message=name)

  _, pullback = jax.vjp(lambda th: contraction.dense_matrix(pattern, th), theta)
  off_mask = np.broadcast_to(~mask.T[:, None, :, None], g_w.shape)
  noise = np.random.default_rng(1).normal(size=g_w.shape).astype(np.float32) * off_mask
  (g_off,) = pullback(jnp.asarray(noise.reshape(pattern.n_in * cfg.c_in, -1)))
  chex.assert_trees_all_close(g_off, np.zeros_like(expected), atol=0)
