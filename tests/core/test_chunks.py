"""method='chunks' with several chunks: the batch split into a loop, patches recomputed in the
backward pass, must still equal lax's convolution (values and both gradients), under vmap and jvp.

The oracle tests run 'chunks' on configurations far below its threshold, where it is one pass; here
the thresholds are lowered so every batch below splits into chunks of one, two or three examples.
"""

import dataclasses

import chex
import jax
import jax.numpy as jnp
import pytest

from lib.core import contraction, patterns
from primitive_fn import primitive_fn
from lib_oracles import (CONFIG_IDS, CONFIGS, all_value_and_grads, assert_all_match, conv_lax,
                         out_grid_of, random_like)


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


def test_auto_picks_chunks_for_tied_and_slices_for_untied_on_cpu():
  conv, local = patterns.convolution((8, 8), 3), patterns.locally_connected((8, 8), 3)
  assert jax.default_backend() == 'cpu'
  assert contraction.resolve_method(conv) == 'chunks'
  assert contraction.resolve_method(local) == 'slices'
  assert contraction.resolve_method(conv, 'gather') == 'gather'
  # Below the threshold 'chunks' is the one-pass 'slices' program.
  theta, x = jnp.ones((9, 2, 3)), jnp.ones((2, 64, 2))
  jaxprs = {m: str(jax.make_jaxpr(lambda t, x, m=m: contraction.apply_pattern(conv, t, x, method=m))(
      theta, x)) for m in ('chunks', 'slices')}
  assert jaxprs['chunks'] == jaxprs['slices']
