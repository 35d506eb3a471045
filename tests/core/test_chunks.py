"""method='chunks' with several chunks must still equal lax's convolution and flax's ConvLocal
(values and both gradients). Tied: the batch split into a loop, patches recomputed in the backward
pass, also under vmap and jvp. Untied: the first output axis split into chunks, both passes written
out (a custom_vjp), also under vmap. Below the threshold both are the one-pass 'slices'.

The oracle tests run 'chunks' on configurations far below its thresholds, where it is one pass (one
chunk); here the thresholds are lowered so every case below splits into several chunks.
"""

import dataclasses
import functools

import chex
import jax
import jax.numpy as jnp
import pytest

from lib.core import contraction, patterns
from primitive_fn import primitive_fn
from lib_oracles import (CONFIG_IDS, CONFIGS, all_value_and_grads, assert_all_match, conv_lax,
                         local_flax, out_grid_of, random_like)


@pytest.fixture
def tiny_chunks(monkeypatch):
  """Chunk whenever there are patches at all, `examples` examples' worth at a time."""

  def set_chunk(cfg, examples):
    pattern = patterns.convolution(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
    monkeypatch.setattr(contraction, 'CHUNK_ABOVE_BYTES', 0)
    monkeypatch.setattr(contraction, 'CHUNK_BYTES', examples * pattern.n_out * pattern.taps *
                        cfg.c_in * 4)
    return pattern

  return set_chunk


# (config index, batch, examples per chunk): 1-D and 2-D, strided, dilated, asymmetric padding; a
# batch of 6 in chunks of 2 and of 3, a prime batch (chunks of one whatever was asked).
CASES = [(1, 6, 2), (5, 5, 2), (9, 6, 3), (10, 4, 1)]


@pytest.mark.parametrize('index,batch,examples', CASES,
                         ids=[f'{CONFIG_IDS[i]}-B{b}-per{e}' for i, b, e in CASES])
def test_chunks_match_lax_conv(tiny_chunks, index, batch, examples):
  cfg = dataclasses.replace(CONFIGS[index], batch=batch)
  pattern = tiny_chunks(cfg, examples)
  out_grid = out_grid_of(cfg)
  x, kernel, cot = random_like(jax.random.key(index), (cfg.batch, *cfg.grid, cfg.c_in),
                               (*cfg.kernel, cfg.c_in, cfg.c_out), (cfg.batch, *out_grid, cfg.c_out))
  fns = {'chunks': primitive_fn(pattern, cfg, out_grid, 'factored', 'chunks'),
         'lax': lambda x, k: conv_lax(cfg, x, k)}
  chunked = jax.make_jaxpr(fns['chunks'])(x, kernel)
  assert 'scan' in str(chunked), 'the thresholds did not split the batch into chunks'
  assert_all_match(all_value_and_grads(fns, (x, kernel), cot), 'lax')


def test_chunks_under_vmap_and_jvp(tiny_chunks):
  """Per-run parameters (vmap, as the engine trains runs) and forward-mode derivatives."""
  cfg = dataclasses.replace(CONFIGS[9], batch=4)
  pattern = tiny_chunks(cfg, 2)
  out_grid = out_grid_of(cfg)
  chunks = primitive_fn(pattern, cfg, out_grid, 'factored', 'chunks')
  oracle = lambda x, k: conv_lax(cfg, x, k)
  x, kernels, dx = random_like(jax.random.key(7), (cfg.batch, *cfg.grid, cfg.c_in),
                               (3, *cfg.kernel, cfg.c_in, cfg.c_out),
                               (cfg.batch, *cfg.grid, cfg.c_in))

  @jax.jit
  def run(x, kernels, dx):
    per_run = lambda fn: jax.vmap(lambda k: jax.jvp(lambda x: fn(x, k), (x,), (dx,)))(kernels)
    return per_run(chunks), per_run(oracle)

  got, expected = run(x, kernels, dx)
  chex.assert_trees_all_close(got, expected, atol=1e-4)
  assert got[0].shape == (3, cfg.batch, *out_grid, cfg.c_out)


def test_auto_picks_chunks_on_cpu():
  conv, local = patterns.convolution((8, 8), 3), patterns.locally_connected((8, 8), 3)
  assert jax.default_backend() == 'cpu'
  assert contraction.resolve_method() == 'chunks'
  assert contraction.resolve_method('gather') == 'gather'
  assert contraction.executed(conv) == contraction.executed(local) == 'chunks'


@pytest.mark.parametrize('family', ['tied', 'untied'])
def test_chunks_below_the_threshold_is_slices(family):
  """Below CHUNK_ABOVE_BYTES of patches 'chunks' is the one-pass 'slices' program, above it not."""
  make = patterns.convolution if family == 'tied' else patterns.locally_connected
  pattern = make((8, 8), 3)
  theta = jnp.ones((pattern.num_blocks, 2, 3))
  x = jnp.ones((2, 64, 2))
  jaxpr = lambda m: str(jax.make_jaxpr(
      lambda t, x: contraction.apply_pattern(pattern, t, x, method=m))(theta, x))
  assert jaxpr('chunks') == jaxpr('slices')
  patch_bytes = x.shape[0] * pattern.n_out * pattern.taps * x.shape[2] * 4
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(contraction, 'CHUNK_ABOVE_BYTES', patch_bytes - 1)
    patch.setattr(contraction, 'CHUNK_BYTES', patch_bytes // 4)
    assert jaxpr('chunks') != jaxpr('slices')


# (config index, batch): 1-D and 2-D, strided, dilated, asymmetric padding, an odd first axis.
UNTIED_CASES = [(1, 2), (4, 3), (8, 2), (9, 2), (10, 1), (12, 2)]


@pytest.mark.parametrize('index,batch', UNTIED_CASES,
                         ids=[f'{CONFIG_IDS[i]}-B{b}' for i, b in UNTIED_CASES])
def test_untied_chunks_match_flax_convlocal(monkeypatch, index, batch):
  """One output row (the first output axis) per chunk: the smallest chunks there are."""
  monkeypatch.setattr(contraction, 'CHUNK_ABOVE_BYTES', 0)
  monkeypatch.setattr(contraction, 'CHUNK_BYTES', 1)
  cfg = dataclasses.replace(CONFIGS[index], batch=batch)
  pattern = patterns.locally_connected(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  out_grid = out_grid_of(cfg)
  x, kernel, cot = random_like(jax.random.key(index), (cfg.batch, *cfg.grid, cfg.c_in),
                               (*out_grid, *cfg.kernel, cfg.c_in, cfg.c_out),
                               (cfg.batch, *out_grid, cfg.c_out))
  fns = {'chunks': primitive_fn(pattern, cfg, out_grid, 'factored', 'chunks'),
         'flax': lambda x, k: local_flax(cfg, x, k)}
  chunked = str(jax.make_jaxpr(fns['chunks'])(x, kernel))
  assert f'length={out_grid[0]}' in chunked, 'the first output axis was not split into rows'
  assert_all_match(all_value_and_grads(fns, (x, kernel), cot), 'flax')


def test_untied_chunks_under_vmap(monkeypatch):
  """Per-run parameters and inputs, and per-run parameters on a shared input, as the engine trains."""
  monkeypatch.setattr(contraction, 'CHUNK_ABOVE_BYTES', 0)
  monkeypatch.setattr(contraction, 'CHUNK_BYTES', 1)
  cfg = dataclasses.replace(CONFIGS[8], batch=2)
  pattern = patterns.locally_connected(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  out_grid = out_grid_of(cfg)
  fns = {m: primitive_fn(pattern, cfg, out_grid, 'factored', m) for m in ('chunks', 'gather')}
  xs, kernels, cots = random_like(jax.random.key(3), (3, cfg.batch, *cfg.grid, cfg.c_in),
                                  (3, *out_grid, *cfg.kernel, cfg.c_in, cfg.c_out),
                                  (3, cfg.batch, *out_grid, cfg.c_out))

  def grads(fn, x, k, cot):
    y, vjp = jax.vjp(fn, x, k)
    return y, vjp(cot)

  for in_axes in [(0, 0, 0), (None, 0, 0)]:
    x = xs if in_axes[0] == 0 else xs[0]
    run = jax.jit(lambda fn, x, k, c: jax.vmap(functools.partial(grads, fn), in_axes)(x, k, c),
                  static_argnums=0)
    chex.assert_trees_all_close(run(fns['chunks'], x, kernels, cots),
                                run(fns['gather'], x, kernels, cots), atol=1e-4)
