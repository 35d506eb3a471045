"""Benchmark: forward + backward of factored/materialized FC, LCN and CNN layers vs XLA and Flax.

Every case computes a layer's output and the gradients of `sum(y * cotangent)` with respect to its
input and its parameters, jitted, in this one process: once as a single call, and once per step inside
a `lax.scan` whose steps feed each other, as whole-run training does (XLA's CPU convolution leaves its
fast path inside loop bodies: jax-ml/jax issue 12868). Ratios are against `lax.conv_general_dilated`
(convolutions) and `flax.linen.ConvLocal` (locally connected), in interleaved rounds
(`lib.analysis.layer_timing`). GFLOP/s count the multiply-adds each case executes (3 products of the
layer's size) against a 2048^3 float32 matmul timed in the same rounds. The factored case that
`method='auto'` picks here is marked 'auto'; each family also times its GEMMs alone on patches given.
Writes `layer_speed.json` and summary.md to --workdir.
"""

import json
import math
import os
import pathlib
import platform

import jax
from absl import flags

from lib.analysis import layer_timing
from lib.report import render, speed_sections

SCALES = {  # name: (batch, grid, c_in, c_out, kernel)
    'mnist': (128, (28, 28), 16, 32, 3),
    'mnist1d': (100, (40,), 25, 25, 3),
}

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


def main(argv):
  del argv
  print(f'jax {jax.__version__}, {jax.default_backend()} ({jax.devices()[0].device_kind}); cases '
        'are timed in interleaved rounds', flush=True)
  rows, summary = [], {}
  for name in _SCALES.value:
    batch, grid, c_in, c_out, k = SCALES[name]
    print(f'{name}: batch {batch}, grid {grid}, {c_in} -> {c_out} channels, kernel {k}, SAME; '
          'forward + gradients w.r.t. input and parameters', flush=True)
    scale_rows, peak = layer_timing.time_scale(name, SCALES[name], _BUDGET.value, _DENSE.value,
                                               _SCAN_STEPS.value)
    summary[name] = {'matmul_gflops': peak,
                     'lcn_cnn_scan_rate_ratio': layer_timing.lcn_cnn_rate(scale_rows)}
    rows += scale_rows
  print(speed_sections.layer_speed_table(rows))
  for name, s in summary.items():
    print(f"{name}: the {layer_timing.MATMUL} ran at {s['matmul_gflops']:,.1f} GFLOP/s among these "
          f"calls (the peak); inside lax.scan the factored LCN runs at "
          f"{s['lcn_cnn_scan_rate_ratio']:.2f}x the FLOP rate of the factored CNN (equal multiply-adds; "
          'both auto)')
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  meta = dict(jax=jax.__version__, backend=jax.default_backend(),
              device=jax.devices()[0].device_kind, machine=platform.machine(),
              cpus=os.cpu_count(), matmul=layer_timing.MATMUL,
              flags={'scales': _SCALES.value, 'dense': _DENSE.value, 'budget_s': _BUDGET.value,
                     'scan_steps': _SCAN_STEPS.value})
  (workdir / 'layer_speed.json').write_text(
      json.dumps(dict(meta=meta, summary=summary, rows=rows), indent=1))
  render.write('layer_speed', workdir)
  print(f'wrote {workdir / "layer_speed.json"} and {workdir / "summary.md"}')
