"""method='xla' (tied patterns): XLA's convolution forward, its input gradient as a convolution with
flipped taps (stride 1) and the weight gradient as chunked patches^T @ cotangent, all hand-written in
a custom_vjp; under vmap it must run the factored 'chunks' instead. Checked against jax.grad of the
'gather' form over random configurations, under vmap and inside lax.scan."""

import chex
import jax
import jax.numpy as jnp
from hypothesis import assume, given, settings
from jax import lax

from lib.core import contraction, patterns
from window_configs import configs


def _pattern(cfg):
  try:
    return patterns.convolution(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation)
  except ValueError:
    assume(False)


def _loss_grads(pattern, method):
  """`(theta, x, cotangent) -> (y, d theta, d x)` of `<cotangent, y>`."""

  def fn(theta, x, cotangent):
    y, vjp = jax.vjp(lambda t, x: contraction.apply_pattern(pattern, t, x, method=method), theta, x)
    return (y, *vjp(cotangent))

  return fn


def _operands(pattern, c_in, c_out, runs, batch=2):
  keys = jax.random.split(jax.random.key(pattern.n_in + 31 * pattern.taps), 3)
  return (jax.random.normal(keys[0], (runs, pattern.num_blocks, c_in, c_out)),
          jax.random.normal(keys[1], (runs, batch, pattern.n_in, c_in)),
          jax.random.normal(keys[2], (runs, batch, pattern.n_out, c_out)))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(configs())
def test_xla_matches_gather_alone_under_vmap_and_in_scan(cfg):
  pattern = _pattern(cfg)
  theta, x, cot = _operands(pattern, cfg.c_in, cfg.c_out, runs=2, batch=cfg.batch)
  fns = {m: _loss_grads(pattern, m) for m in ('xla', 'gather')}

  def in_scan(fn):  # two steps, the second one's inputs depend on the first's gradients
    def body(carry, _):
      theta, x = carry
      y, d_theta, d_x = fn(theta, x, cot[0])
      return (theta - 0.1 * d_theta, x - 0.1 * d_x), y
    return lax.scan(body, (theta[0], x[0]), None, length=2)

  @jax.jit
  def run():
    return {m: (fn(theta[0], x[0], cot[0]), jax.vmap(fn)(theta, x, cot),
                jax.vmap(fn, in_axes=(0, None, 0))(theta, x[0], cot), in_scan(fn))
            for m, fn in fns.items()}

  got = run()
  chex.assert_trees_all_close(got['xla'], got['gather'], atol=2e-4, rtol=2e-4)


def test_xla_runs_xla_convolutions_alone_and_the_factored_form_under_vmap():
  pattern = patterns.convolution((6, 6), 3)
  theta, x, cot = _operands(pattern, 2, 3, runs=3)
  fn = _loss_grads(pattern, 'xla')
  alone = str(jax.make_jaxpr(fn)(theta[0], x[0], cot[0]))
  vmapped = str(jax.make_jaxpr(jax.vmap(fn))(theta, x, cot))
  assert alone.count('conv_general_dilated') == 2  # the output and the input gradient
  assert 'conv_general_dilated' not in vmapped
  assert 'feature_group_count' not in vmapped


def test_xla_on_an_untied_pattern_runs_slices():
  local = patterns.locally_connected((5, 5), 3)
  theta, x = jnp.ones((local.num_blocks, 2, 3)), jnp.ones((2, 25, 2))
  jaxprs = {m: str(jax.make_jaxpr(lambda t, x, m=m: contraction.apply_pattern(local, t, x, method=m))(
      theta, x)) for m in ('xla', 'slices')}
  assert jaxprs['xla'] == jaxprs['slices']
