"""Property test: over random sliding-window configurations, every form of lib's convolution equals
lax.conv_general_dilated and every form of its locally connected layer equals
lax.conv_general_dilated_local (forward and gradients)."""

import math

import jax
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lib.core import patterns
from primitive_fn import primitive_fn
from lib_oracles import (Cfg, assert_all_match, conv_lax, factored_forms,
                         local_lax, out_grid_of, pads_of, random_like,
                         value_and_grads)

FORMS = factored_forms()


@st.composite
def configs(draw):
  ndim = draw(st.sampled_from([1, 2]))
  per_dim = lambda s: tuple(draw(s) for _ in range(ndim))
  grid = per_dim(st.integers(1, 9 if ndim == 1 else 6))
  kernel = per_dim(st.integers(1, 4))
  strides = per_dim(st.integers(1, 3))
  dilation = per_dim(st.integers(1, 2))
  kind = draw(st.sampled_from(['SAME', 'VALID', 'int', 'pairs']))
  if kind == 'int':
    padding = draw(st.integers(0, 2))
  elif kind == 'pairs':  # low != high allowed
    padding = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(ndim)]
  else:
    padding = kind
  return Cfg(grid, kernel, strides, padding, dilation, draw(st.integers(1, 3)),
             draw(st.integers(1, 3)), draw(st.integers(1, 2)))


def _valid(cfg):
  """Independently of lib: the dilated kernel fits in the padded input in every dimension."""
  return all((k - 1) * d + 1 <= n + lo + hi for n, k, d, (lo, hi) in
             zip(cfg.grid, cfg.kernel, cfg.dilation, pads_of(cfg)))


@settings(max_examples=20, deadline=None, derandomize=True)
@given(configs())
def test_all_forms_match_lax(cfg):
  args = (cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  if not _valid(cfg):
    # lib must reject exactly the configurations that do not fit.
    with pytest.raises(ValueError, match='kernel_size'):
      patterns.convolution(*args)
    assume(False)
  conv, local = patterns.convolution(*args), patterns.locally_connected(*args)
  out_grid = out_grid_of(cfg)
  assert conv.out_grid == local.out_grid == out_grid
  x, k_conv, k_local, cot = random_like(
      jax.random.key(sum(cfg.grid) + 7 * sum(cfg.kernel)), (cfg.batch, *cfg.grid, cfg.c_in),
      (*cfg.kernel, cfg.c_in, cfg.c_out), (*out_grid, *cfg.kernel, cfg.c_in, cfg.c_out),
      (cfg.batch, *out_grid, cfg.c_out))

  conv_fns = {name: primitive_fn(conv, cfg, out_grid, *fm) for name, fm in FORMS.items()}
  local_fns = {name: primitive_fn(local, cfg, out_grid, *fm) for name, fm in FORMS.items()}
  conv_fns['lax'] = lambda x, k: conv_lax(cfg, x, k)
  local_fns['lax'] = lambda x, k: local_lax(cfg, x, k)
  assert local.num_blocks == math.prod(out_grid) * math.prod(cfg.kernel)

  @jax.jit
  def run(x, k_conv, k_local, cot):
    return ({n: value_and_grads(f, (x, k_conv), cot) for n, f in conv_fns.items()},
            {n: value_and_grads(f, (x, k_local), cot) for n, f in local_fns.items()})

  conv_results, local_results = run(x, k_conv, k_local, cot)
  assert_all_match(conv_results, 'lax')
  assert_all_match(local_results, 'lax')
