"""Benchmark: forward + backward of factored/materialized FC, LCN and CNN layers vs XLA and Flax.

Every case computes a layer's output and the gradients of `sum(y * cotangent)` with respect to its
input and its parameters, jitted, in this one process: once as a single call, and once per step inside
a `lax.scan` whose steps feed each other, as whole-run training does (XLA's CPU convolution leaves its
fast path inside loop bodies: jax-ml/jax issue 12868). Ratios are against `lax.conv_general_dilated`
(convolutions) and `flax.linen.ConvLocal` (locally connected). The cases are timed in interleaved
rounds (one call of each per round), so load from other processes falls on all of them alike. GFLOP/s
count the multiply-adds each case executes (3 products of the layer's size: forward, input and weight
gradients; the materialized and FC forms execute their dense matrix) against a 2048^3 float32 matmul
timed in the same rounds.
The factored case `method='auto'` picks on this platform is marked 'auto'; the LCN/CNN line compares
those two inside the scan, where both execute the same multiply-adds. Each family also times its
GEMMs by themselves on patches given ('its GEMMs alone'), the cost of the arithmetic before any
patch is read or written. Writes `layer_speed.json` and summary.md to --workdir.
"""

import dataclasses
import json
import math
import os
import pathlib
import platform

import jax
import jax.numpy as jnp
from absl import flags, logging
from flax import linen
from jax import lax

from lib.analysis import gemm_floor
from lib.analysis.benchmark import time_interleaved
from lib.core import contraction, layers
from lib.report import render, speed_sections

SCALES = {
    # name: (batch, grid, c_in, c_out, kernel)
    'mnist': (128, (28, 28), 16, 32, 3),
    'mnist1d': (100, (40,), 25, 25, 3),
}
FACTORED = ('gather', 'slices', 'chunks')
# The factored layer's GEMMs by themselves on patches given (lib.analysis.gemm_floor): no patch is
# read or written, so no arrangement of the patches can run faster than these.
GEMMS_ALONE = 'its GEMMs alone, patches given'
MATMUL_SIZE = 2048
MATMUL = f'{MATMUL_SIZE}^3 float32 matmul'

_WORKDIR = flags.DEFINE_string('workdir', 'runs/layer_speed', 'Where layer_speed.json is written.')
_SCALES = flags.DEFINE_list('scales', list(SCALES), f'Which scales to run, from {list(SCALES)}.')
_DENSE = flags.DEFINE_bool('dense', True, 'Also time the materialized and FC forms (slow at '
                           'MNIST scale: their weight matrix has hundreds of millions of entries).')
_BUDGET = flags.DEFINE_float('budget_s', 2.0, 'Seconds of timed calls per case (at least 3 calls).')
_SCAN_STEPS = flags.DEFINE_integer('scan_steps', 5, 'Steps per lax.scan when timing inside a loop.',
                                   lower_bound=1)
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
flags.register_validator('scales', lambda names: bool(names) and set(names) <= set(SCALES),
                         f'--scales must name at least one scale, each from {list(SCALES)}')
flags.register_validator('budget_s', lambda v: 0 < v < math.inf,
                         '--budget_s must be positive and finite')


def _lax_conv(kernel, x):
  nd = x.ndim - 2
  spatial = 'HWD'[:nd]
  dn = lax.conv_dimension_numbers(x.shape, kernel.shape,
                                  (f'N{spatial}C', f'{spatial}IO', f'N{spatial}C'))
  return lax.conv_general_dilated(x, kernel, (1,) * nd, 'SAME', dimension_numbers=dn)


def _ours(layer, in_shape, key):
  _, params = layer.init(key, in_shape)
  return layer.apply, params


def _flax(module, x, key):
  params = module.init(key, x)
  return module.apply, params


def _factored_name(method: str) -> str:
  auto = contraction.resolve_method() == method
  return f"factored ({method}{', auto' if auto else ''})"


def cases(batch, grid, c_in, c_out, k, dense: bool):
  """(family, name, apply, params, multiply-adds, own input or None) for every case at one scale."""
  key = jax.random.PRNGKey(0)
  x = jnp.zeros((batch, *grid, c_in))
  in_shape = (*grid, c_in)
  kernel = (k,) * len(grid)
  macs = batch * math.prod(grid) * k**len(grid) * c_in * c_out  # SAME, stride 1: N_out = N_in
  dense_macs = batch * (math.prod(grid) * c_in) * (math.prod(grid) * c_out)
  conv_params = layers.Conv(c_out, kernel).init(key, in_shape)[1]
  out = [('conv', 'lax.conv_general_dilated', lambda p, x: _lax_conv(p['kernel'], x) + p['bias'],
          conv_params, macs, None),
         ('conv', 'flax.linen.Conv', *_flax(linen.Conv(c_out, kernel), x, key), macs, None)]
  out += [('conv', _factored_name(m),
           *_ours(layers.Conv(c_out, kernel, method=m), in_shape, key), macs, None)
          for m in FACTORED]
  floor = gemm_floor.layer_operands(layers.Conv(c_out, kernel), in_shape, batch, key)
  out.append(('conv', GEMMS_ALONE, *floor[:2], macs, floor[2]))
  out.append(('lcn', 'flax.linen.ConvLocal',
              *_flax(linen.ConvLocal(c_out, kernel, padding='SAME'), x, key), macs, None))
  out += [('lcn', _factored_name(m),
           *_ours(layers.Local(c_out, kernel, method=m), in_shape, key), macs, None)
          for m in FACTORED]
  floor = gemm_floor.layer_operands(layers.Local(c_out, kernel), in_shape, batch, key)
  out.append(('lcn', GEMMS_ALONE, *floor[:2], macs, floor[2]))
  if dense:
    out += [
        ('conv', 'materialized', *_ours(layers.Conv(c_out, kernel, form='materialized'), in_shape,
                                        key), dense_macs, None),
        ('fc', 'dense, same in/out shapes', *_ours(layers.Dense(c_out, out_grid=grid), in_shape,
                                                   key), dense_macs, None),
    ]
  return x, out


# family -> the (family, case) its ratios are against.
REFERENCE = {'conv': ('conv', 'lax.conv_general_dilated'), 'lcn': ('lcn', 'flax.linen.ConvLocal'),
             'fc': ('conv', 'lax.conv_general_dilated')}


def forward_backward(apply):
  """`(params, x, cotangent) -> (y, d params, d x)` for a layer's apply."""

  def fn(params, x, cotangent):
    y, vjp = jax.vjp(apply, params, x)
    return (y, *vjp(cotangent))

  return fn


def in_scan(step, steps: int):
  """`steps` calls of `step` inside one `lax.scan`, each feeding its gradients to the next, as a
  training loop does; every output stays live so XLA cannot drop any of the work."""

  def run(params, x, cotangent):

    def body(carry, _):
      params, x = carry
      y, d_params, d_x = step(params, x, cotangent)
      params = jax.tree_util.tree_map(lambda p, g: p - 1e-6 * g, params, d_params)
      return (params, x - 1e-6 * d_x), y.sum()

    return lax.scan(body, (params, x), None, length=steps)

  return run


def run_scale(name: str, budget_s: float, dense: bool, scan_steps: int) -> tuple[list[dict], float]:
  """Times every case at one scale, and the matmul among the single calls.

  Returns:
    One row per case, and the matmul's GFLOP/s (the peak the rows are compared with).
  """
  batch, grid, c_in, c_out, k = SCALES[name]
  x, todo = cases(batch, grid, c_in, c_out, k, dense)
  x = jax.random.normal(jax.random.PRNGKey(1), x.shape)
  a = jax.random.normal(jax.random.PRNGKey(3), (MATMUL_SIZE, MATMUL_SIZE))
  single, looped = {MATMUL: (lambda a, b: a @ b, (a, a))}, {}
  for family, case, apply, params, _, own_input in todo:
    inputs = x if own_input is None else own_input
    cotangent = jax.random.normal(jax.random.PRNGKey(2), jax.eval_shape(apply, params, inputs).shape)
    step = forward_backward(apply)
    single[family, case] = (step, (params, inputs, cotangent))
    looped[family, case] = (in_scan(step, scan_steps), (params, inputs, cotangent))
  timed = time_interleaved(single, budget_s=budget_s)
  peak = 2 * MATMUL_SIZE**3 / timed[MATMUL].median_s / 1e9
  timed_scan = time_interleaved(looped, min_runs=1, max_runs=3, budget_s=budget_s)
  rows = []
  for family, case, _, params, macs, _ in todo:
    t, scan_step_s = timed[family, case], timed_scan[family, case].median_s / scan_steps
    gflop = 6 * macs / 1e9
    rows.append(dict(scale=name, family=family, case=case,
                     params=sum(p.size for p in jax.tree_util.tree_leaves(params)), gflop=gflop,
                     **dataclasses.asdict(t), scan_step_s=scan_step_s, gflops=gflop / t.median_s,
                     scan_gflops=gflop / scan_step_s))
    logging.info('%s %s %s: %.1f ms, %.1f ms per step in lax.scan', name, family, case,
                 1e3 * t.median_s, 1e3 * scan_step_s)
  for key in ('median_s', 'scan_step_s'):
    by_case = {(r['family'], r['case']): r[key] for r in rows}
    for r in rows:
      r[key[:-2] + '_ratio'] = r[key] / by_case[REFERENCE[r['family']]]
  for r in rows:
    r['reference'] = REFERENCE[r['family']][1]
    r['peak_fraction'] = r['gflops'] / peak
    r['scan_peak_fraction'] = r['scan_gflops'] / peak
  return rows, peak


def lcn_cnn_rate(rows: list[dict]) -> float:
  """Inside the scan: the auto LCN's FLOP rate over the auto CNN's (equal multiply-adds)."""
  auto = {r['family']: r for r in rows if r['case'].endswith(', auto)')}
  return auto['lcn']['scan_gflops'] / auto['conv']['scan_gflops']


def main(argv):
  del argv
  print(f'jax {jax.__version__}, {jax.default_backend()} ({jax.devices()[0].device_kind}); cases '
        'are timed in interleaved rounds', flush=True)
  rows, summary = [], {}
  for name in _SCALES.value:
    batch, grid, c_in, c_out, k = SCALES[name]
    print(f'{name}: batch {batch}, grid {grid}, {c_in} -> {c_out} channels, kernel {k}, SAME; '
          'forward + gradients w.r.t. input and parameters', flush=True)
    scale_rows, peak = run_scale(name, _BUDGET.value, _DENSE.value, _SCAN_STEPS.value)
    summary[name] = {'matmul_gflops': peak, 'lcn_cnn_scan_rate_ratio': lcn_cnn_rate(scale_rows)}
    rows += scale_rows
  print(speed_sections.layer_speed_table(rows))
  for name, s in summary.items():
    print(f"{name}: the {MATMUL} ran at {s['matmul_gflops']:,.1f} GFLOP/s among these calls (the "
          f"peak); inside lax.scan the factored LCN runs at {s['lcn_cnn_scan_rate_ratio']:.2f}x the "
          'FLOP rate of the factored CNN (equal multiply-adds; both auto)')
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  meta = dict(jax=jax.__version__, backend=jax.default_backend(),
              device=jax.devices()[0].device_kind, machine=platform.machine(),
              cpus=os.cpu_count(), matmul=MATMUL,
              flags={'scales': _SCALES.value, 'dense': _DENSE.value, 'budget_s': _BUDGET.value,
                     'scan_steps': _SCAN_STEPS.value})
  (workdir / 'layer_speed.json').write_text(
      json.dumps(dict(meta=meta, summary=summary, rows=rows), indent=1))
  render.write('layer_speed', workdir)
  print(f'wrote {workdir / "layer_speed.json"} and {workdir / "summary.md"}')
