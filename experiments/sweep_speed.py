"""Benchmark: trained MNIST-1D paper CNNs per minute, this engine (vmapped runs) vs per-step jit loops.

All train the paper's CNN with its protocol (Adam 1e-2, batch 100, 6000 steps; the training flags
change it) on all 4000 training signals, in this one process, with one evaluation at the end.
The engine trains --runs runs in one compiled program (`lax.scan` over steps, `vmap` over runs,
sharded over the local devices). Its peers are the usual JAX style, a `@jax.jit` step called from a
Python loop with minibatches sampled by NumPy (`lib.analysis.jit_loops`): --loop_runs models one
after the other, with this project's layers and with the same CNN in plain flax.linen.Conv; and,
what a researcher training many small models would write, --runs models at once with the step
`jax.vmap`ped over them (--vmapped_loop_layers). Each is timed --repeats times, interleaved with a
2048^3 float32 matmul, and the best counts; compile time is reported apart. GFLOP/s count 2 x the
multiply-adds of one engine run per trained model against the fastest matmul (the peak); the GEMMs of
one engine step alone (`lib.analysis.engine_timing`), timed in the same rounds, say what the
arithmetic reaches at these shapes. Writes sweep_speed.json and summary.md to --workdir.
"""

import json
import pathlib

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import engine_timing, jit_loops, peak
from lib.data import load_dataset
from lib.report import render

sweep_flags.define_dataset('mnist1d', 'Only mnist1d: the benchmark trains the paper\'s CNN.')

_WORKDIR = flags.DEFINE_string('workdir', 'runs/sweep_speed', 'Where sweep_speed.json is written.')
_RUNS = flags.DEFINE_integer('runs', 16, 'Runs trained together by the engine and by the vmapped '
                             'loop.', lower_bound=1)
_LOOP_RUNS = flags.DEFINE_integer('loop_runs', 1, 'Models trained one by one by the jitted loop.',
                                  lower_bound=1)
_LOOP_LAYERS = flags.DEFINE_multi_enum('loop_layers', list(jit_loops.LAYERS), jit_loops.LAYERS,
                                       "The one-at-a-time loop's CNN: this project's layers (the "
                                       "engine's model) and/or flax.linen.Conv.")
_VMAPPED_LAYERS = flags.DEFINE_multi_enum('vmapped_loop_layers', ['flax'], jit_loops.LAYERS,
                                          "The vmapped loop's CNN (--runs at once).")
_ENGINE_LCN = flags.DEFINE_bool('engine_lcn', False, 'Also time the engine on --runs runs of the '
                                 "paper's CNN untied (lcn; the same multiply-adds), in the same rounds.")
_REPEATS = flags.DEFINE_integer('repeats', 2, 'Timed repetitions of each, interleaved; the best '
                                'counts (other processes on the machine only ever slow a repetition).',
                                lower_bound=1)
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')


def main(argv):
  del argv
  device_flags.configure_devices()
  if flags.FLAGS.dataset != 'mnist1d':
    raise ValueError(f'dataset={flags.FLAGS.dataset!r}: sweep_speed trains the MNIST-1D paper\'s CNN '
                     'on mnist1d only')
  config = sweep_flags.train_config(eval_every=flags.FLAGS.steps)
  data, method, runs = load_dataset('mnist1d'), sweep_flags.METHOD.value, _RUNS.value
  engine_compile_s, engine, flops = engine_timing.engine_trainer(data, runs, config, method)
  loops = {name: jit_loops.loop_trainer(data, name, _LOOP_RUNS.value, False, config, method)
           for name in _LOOP_LAYERS.value}
  loops.update({f'{name}_vmap': jit_loops.loop_trainer(data, name, runs, True, config, method)
                for name in _VMAPPED_LAYERS.value})
  lcn = engine_timing.engine_trainer(data, runs, config, method, 'lcn') if _ENGINE_LCN.value else None
  floor = engine_timing.gemms_alone(data, runs, config, method)
  engine_times, lcn_times, matmuls, floor_times = [], [], [], []
  loop_times = {name: [] for name in loops}
  for _ in range(_REPEATS.value):
    matmuls.append(peak.matmul_gflops())
    floor_times.append(floor['time']())
    engine_times.append(engine())
    if lcn:
      lcn_times.append(lcn[1]())
    for name, (_, loop) in loops.items():
      loop_times[name].append(loop())
  best = max(matmuls)
  floor_gflops = floor['flops'] / min(floor_times) / 1e9
  gemms = {'runs': runs, 'step_s': min(floor_times), 'gflops': floor_gflops,
           'peak_fraction': floor_gflops / best}
  engine = engine_timing.rate('engine', runs, engine_compile_s, engine_times, flops, best)
  rates = {name: engine_timing.rate(
      f'jit_loop_{name}', runs if name.endswith('_vmap') else _LOOP_RUNS.value, loops[name][0],
      loop_times[name], flops, best) for name in loops}
  ratios = {name: engine['models_per_minute'] / r['models_per_minute'] for name, r in rates.items()}
  report = {'engine': engine, 'jit_loop': rates, 'ratio': ratios, 'matmul_gflops': matmuls,
            'gemms_alone': gemms, 'steps': config.steps, 'batch_size': config.batch_size,
            'devices': jax.device_count(), 'device_kind': jax.devices()[0].device_kind,
            'jax': jax.__version__}
  if lcn:
    report['engine_lcn'] = engine_timing.rate('engine_lcn', runs, lcn[0], lcn_times, lcn[2], best)
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  (workdir / 'sweep_speed.json').write_text(json.dumps(report, indent=2) + '\n')
  print(render.write('sweep_speed', workdir))
