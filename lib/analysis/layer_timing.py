"""One layer's forward and both gradients, timed as one jitted call and as one step of a `lax.scan`.

The cases of one scale (batch, grid, channels, kernel): XLA's convolution and flax's (the references
of the tied family), flax's ConvLocal (the untied family's), this project's factored layers by every
method, each family's GEMMs alone on patches given (`gemm_floor`), and optionally the materialized
convolution and an FC layer of the same shapes. All of them and a 2048^3 float32 matmul are timed in
interleaved rounds (`benchmark.time_interleaved`), so load from other processes falls on all alike;
ratios are against the family's reference, GFLOP/s against the matmul (the peak).
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
from flax import linen
from jax import lax

from lib.analysis import gemm_floor
from lib.analysis.benchmark import time_interleaved
from lib.core import contraction, layers

FACTORED = ('gather', 'slices', 'chunks')
GEMMS_ALONE = 'its GEMMs alone, patches given'
MATMUL_SIZE = 2048
MATMUL = f'{MATMUL_SIZE}^3 float32 matmul'
# family -> the (family, case) its ratios are against.
REFERENCE = {'conv': ('conv', 'lax.conv_general_dilated'), 'lcn': ('lcn', 'flax.linen.ConvLocal'),
             'fc': ('conv', 'lax.conv_general_dilated')}


def _lax_conv(params, x):
  spatial = 'HWD'[:x.ndim - 2]
  numbers = lax.conv_dimension_numbers(x.shape, params['kernel'].shape,
                                       (f'N{spatial}C', f'{spatial}IO', f'N{spatial}C'))
  y = lax.conv_general_dilated(x, params['kernel'], (1,) * (x.ndim - 2), 'SAME',
                               dimension_numbers=numbers)
  return y + params['bias']


def cases(batch: int, grid, c_in: int, c_out: int, k: int, dense: bool) -> tuple[jax.Array, list]:
  """Every case at one scale (SAME padding, stride 1).

  Returns:
    `(x [batch, *grid, c_in], cases)`, each case `(family, name, apply, params, multiply-adds, own
    input or None)`; `apply(params, input)` is the layer.
  """
  key = jax.random.key(0)
  x = jnp.zeros((batch, *grid, c_in))
  in_shape, kernel = (*grid, c_in), (k,) * len(grid)
  macs = batch * math.prod(grid) * k**len(grid) * c_in * c_out
  dense_macs = batch * (math.prod(grid) * c_in) * (math.prod(grid) * c_out)
  ours = lambda layer: (layer.apply, layer.init(key, in_shape)[1])
  theirs = lambda module: (module.apply, module.init(key, x))
  out = [('conv', 'lax.conv_general_dilated', _lax_conv, ours(layers.Conv(c_out, kernel))[1], macs,
          None), ('conv', 'flax.linen.Conv', *theirs(linen.Conv(c_out, kernel)), macs, None)]
  local = linen.ConvLocal(c_out, kernel, padding='SAME')
  for family, layer, reference in (('conv', layers.Conv, None), ('lcn', layers.Local, local)):
    if reference is not None:
      out.append((family, 'flax.linen.ConvLocal', *theirs(reference), macs, None))
    for method in FACTORED:
      auto = ', auto' if contraction.resolve_method() == method else ''
      out.append((family, f'factored ({method}{auto})', *ours(layer(c_out, kernel, method=method)),
                  macs, None))
    apply, params, patches = gemm_floor.layer_operands(layer(c_out, kernel), in_shape, batch, key)
    out.append((family, GEMMS_ALONE, apply, params, macs, patches))
  if dense:
    out += [('conv', 'materialized', *ours(layers.Conv(c_out, kernel, form='materialized')),
             dense_macs, None),
            ('fc', 'dense, same in/out shapes', *ours(layers.Dense(c_out, out_grid=grid)),
             dense_macs, None)]
  return x, out


def forward_backward(apply):
  """`(params, x, cotangent) -> (y, d params, d x)` of a layer's apply."""

  def fn(params, x, cotangent):
    y, vjp = jax.vjp(apply, params, x)
    return (y, *vjp(cotangent))

  return fn


def in_scan(step, steps: int):
  """`steps` calls of `step` inside one `lax.scan`, each feeding its gradients to the next as a
  training loop does; every output stays live, so XLA cannot drop any of the work."""

  def run(params, x, cotangent):

    def body(carry, _):
      params, x = carry
      y, d_params, d_x = step(params, x, cotangent)
      params = jax.tree_util.tree_map(lambda p, g: p - 1e-6 * g, params, d_params)
      return (params, x - 1e-6 * d_x), y.sum()

    return lax.scan(body, (params, x), None, length=steps)

  return run


def time_scale(scale: str, shape, budget_s: float, dense: bool,
               scan_steps: int) -> tuple[list, float]:
  """Times every case of one scale, `shape = (batch, grid, c_in, c_out, k)`.

  Returns:
    One row (a dict) per case, and the matmul's GFLOP/s in the same rounds (the peak).
  """
  x, todo = cases(*shape, dense)
  x = jax.random.normal(jax.random.key(1), x.shape)
  a = jax.random.normal(jax.random.key(3), (MATMUL_SIZE, MATMUL_SIZE))
  single, looped = {MATMUL: (jnp.matmul, (a, a))}, {}
  for family, case, apply, params, _, own_input in todo:
    inputs = x if own_input is None else own_input
    cotangent = jax.random.normal(jax.random.key(2), jax.eval_shape(apply, params, inputs).shape)
    step = forward_backward(apply)
    single[family, case] = (step, (params, inputs, cotangent))
    looped[family, case] = (in_scan(step, scan_steps), (params, inputs, cotangent))
  timed = time_interleaved(single, budget_s=budget_s)
  peak = 2 * MATMUL_SIZE**3 / timed[MATMUL].median_s / 1e9
  timed_scan = time_interleaved(looped, min_runs=1, max_runs=3, budget_s=budget_s)
  rows = []
  for family, case, _, params, macs, _ in todo:
    t, gflop = timed[family, case], 6 * macs / 1e9
    step_s = timed_scan[family, case].median_s / scan_steps
    rows.append(dict(scale=scale, family=family, case=case, reference=REFERENCE[family][1],
                     params=sum(p.size for p in jax.tree_util.tree_leaves(params)), gflop=gflop,
                     **dataclasses.asdict(t), scan_step_s=step_s, gflops=gflop / t.median_s,
                     scan_gflops=gflop / step_s, peak_fraction=gflop / t.median_s / peak,
                     scan_peak_fraction=gflop / step_s / peak))
  for key in ('median_s', 'scan_step_s'):
    by_case = {(r['family'], r['case']): r[key] for r in rows}
    for r in rows:
      r[key[:-2] + '_ratio'] = r[key] / by_case[REFERENCE[r['family']]]
  return rows, peak


def lcn_cnn_rate(rows: list[dict]) -> float:
  """Inside the scan: the auto LCN's FLOP rate over the auto CNN's (equal multiply-adds)."""
  auto = {r['family']: r for r in rows if r['case'].endswith(', auto)')}
  return auto['lcn']['scan_gflops'] / auto['conv']['scan_gflops']
