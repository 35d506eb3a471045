"""Property test: over random sliding-window configurations, every form of lib's convolution equals
lax.conv_general_dilated and every form of its locally connected layer equals
lax.conv_general_dilated_local (forward and gradients)."""

import math

import jax
import pytest
from hypothesis import assume, given, settings

from lib.core import patterns
from primitive_fn import primitive_fn
from window_configs import configs
from lib_oracles import (assert_all_match, conv_lax, factored_forms,
                         local_lax, out_grid_of, pads_of, random_like,
                         value_and_grads)

FORMS = factored_forms()


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
