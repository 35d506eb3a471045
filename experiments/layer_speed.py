"""Benchmark: forward + backward of factored/materialized FC, LCN and CNN layers vs XLA and Flax.

Every case computes a layer's output and the gradients of `sum(y * cotangent)` with respect to its
input and its parameters, jitted, in this one process: once as a single call, and once per step inside
a `lax.scan` whose steps feed each other, as whole-run training does (XLA's CPU convolution leaves its
fast path inside loop bodies: jax-ml/jax issue 12868). Ratios are against `lax.conv_general_dilated`
(convolutions) and `flax.linen.ConvLocal` (locally connected). Writes `layer_speed.json` to --workdir.
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

from lib.core import layers
from lib.analysis.benchmark import time_jitted

SCALES = {
    # name: (batch, grid, c_in, c_out, kernel)
    'mnist': (128, (28, 28), 16, 32, 3),
    'mnist1d': (100, (40,), 25, 25, 3),
}

_WORKDIR = flags.DEFINE_string('workdir', 'runs/layer_speed', 'Where layer_speed.json is written.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_SCALES = flags.DEFINE_list('scales', list(SCALES), f'Which scales to run, from {list(SCALES)}.')
_DENSE = flags.DEFINE_bool('dense', True, 'Also time the materialized and FC forms (slow at '
                           'MNIST scale: their weight matrix has hundreds of millions of entries).')
_BUDGET = flags.DEFINE_float('budget_s', 2.0, 'Seconds of timed calls per case (at least 3 calls).')
_SCAN_STEPS = flags.DEFINE_integer('scan_steps', 5, 'Steps per lax.scan when timing inside a loop.',
                                  lower_bound=1)
flags.register_validator('scales', lambda names: bool(names) and set(names) <= set(SCALES),
                         f'--scales must name at least one of {list(SCALES)}')
flags.register_validator('budget_s', lambda v: 0 < v < math.inf, '--budget_s must be positive and finite')


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


def cases(batch, grid, c_in, c_out, k, dense: bool):
  """(family, name, reference name, apply, params) for every case at one scale."""
  key = jax.random.PRNGKey(0)
  x = jnp.zeros((batch, *grid, c_in))
  in_shape = (*grid, c_in)
  kernel = (k,) * len(grid)
  conv_params = layers.Conv(c_out, kernel).init(key, in_shape)[1]
  out = [
      ('conv', 'lax.conv_general_dilated', lambda p, x: _lax_conv(p['kernel'], x) + p['bias'],
       conv_params),
      ('conv', 'flax.linen.Conv', *_flax(linen.Conv(c_out, kernel), x, key)),
      ('conv', 'factored (gather)', *_ours(layers.Conv(c_out, kernel, method='gather'), in_shape,
                                           key)),
      ('conv', 'factored (slices)', *_ours(layers.Conv(c_out, kernel, method='slices'), in_shape,
                                          key)),
      ('lcn', 'flax.linen.ConvLocal', *_flax(linen.ConvLocal(c_out, kernel, padding='SAME'), x,
                                             key)),
      ('lcn', 'factored (gather)', *_ours(layers.Local(c_out, kernel, method='gather'), in_shape,
                                          key)),
      ('lcn', 'factored (slices)', *_ours(layers.Local(c_out, kernel, method='slices'), in_shape,
                                         key)),
  ]
  if dense:
    out += [
        ('conv', 'materialized', *_ours(layers.Conv(c_out, kernel, form='materialized'), in_shape,
                                        key)),
        ('fc', 'dense, same in/out shapes', *_ours(layers.Dense(c_out, out_grid=grid), in_shape,
                                                   key)),
    ]
  return x, out


REFERENCE = {'conv': 'lax.conv_general_dilated', 'lcn': 'flax.linen.ConvLocal',
             'fc': 'lax.conv_general_dilated'}


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


def run_scale(name: str, budget_s: float, dense: bool, scan_steps: int) -> list[dict]:
  batch, grid, c_in, c_out, k = SCALES[name]
  x, todo = cases(batch, grid, c_in, c_out, k, dense)
  x = jax.random.normal(jax.random.PRNGKey(1), x.shape)
  rows = []
  for family, case, apply, params in todo:
    y_shape = jax.eval_shape(apply, params, x).shape
    cotangent = jax.random.normal(jax.random.PRNGKey(2), y_shape)
    step = forward_backward(apply)
    t = time_jitted(step, params, x, cotangent, budget_s=budget_s)
    looped = time_jitted(in_scan(step, scan_steps), params, x, cotangent, min_runs=1, max_runs=3,
                         budget_s=budget_s)
    n_params = sum(p.size for p in jax.tree_util.tree_leaves(params))
    rows.append(dict(scale=name, family=family, case=case, params=n_params,
                     **dataclasses.asdict(t), scan_step_s=looped.median_s / scan_steps))
    logging.info('%s %s %s: %.1f ms, %.1f ms per step in lax.scan', name, family, case,
                 1e3 * t.median_s, 1e3 * looped.median_s / scan_steps)
  for key in ('median_s', 'scan_step_s'):
    by_case = {r['case']: r[key] for r in rows}
    for r in rows:
      r[key[:-2] + '_ratio'] = r[key] / by_case[REFERENCE[r['family']]]
  for r in rows:
    r['reference'] = REFERENCE[r['family']]
  return rows


def table(rows: list[dict]) -> str:
  lines = ['| scale | family | case | params | ms | ratio | ms in lax.scan | ratio in scan | vs '
           '| compile s | memory MB |', '|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|']
  for r in rows:
    memory = '' if r['memory_bytes'] is None else f"{r['memory_bytes'] / 2**20:,.0f}"
    lines.append(f"| {r['scale']} | {r['family']} | {r['case']} | {r['params']:,} | "
                 f"{1e3 * r['median_s']:,.1f} | {r['median_ratio']:.2f} | "
                 f"{1e3 * r['scan_step_s']:,.1f} | {r['scan_step_ratio']:.2f} | {r['reference']} | "
                 f"{r['compile_s']:.2f} | {memory} |")
  return '\n'.join(lines)


def main(argv):
  del argv
  unknown = set(_SCALES.value) - set(SCALES)
  if unknown:
    raise ValueError(f'--scales={",".join(_SCALES.value)}: unknown {sorted(unknown)}; '
                     f'expected from {list(SCALES)}')
  rows = []
  for name in _SCALES.value:
    batch, grid, c_in, c_out, k = SCALES[name]
    print(f'{name}: batch {batch}, grid {grid}, {c_in} -> {c_out} channels, kernel {k}, SAME; '
          'forward + gradients w.r.t. input and parameters', flush=True)
    rows += run_scale(name, _BUDGET.value, _DENSE.value, _SCAN_STEPS.value)
  print(table(rows))
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  meta = dict(jax=jax.__version__, backend=jax.default_backend(),
              device=jax.devices()[0].device_kind, machine=platform.machine(),
              cpus=os.cpu_count(), flags={'scales': _SCALES.value,
                                                        'dense': _DENSE.value,
                                                        'budget_s': _BUDGET.value,
                                                        'scan_steps': _SCAN_STEPS.value})
  (workdir / 'layer_speed.json').write_text(json.dumps(dict(meta=meta, rows=rows), indent=1))
  print(f'wrote {workdir / "layer_speed.json"}')
