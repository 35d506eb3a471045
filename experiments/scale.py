"""Benchmark: the engine at the scale of MNIST and CIFAR-10 (generated arrays), per architecture.

For each dataset shape (`mnist`: 60,000 / 10,000 images of 28x28x1; `cifar10`: 50,000 / 10,000 of
32x32x3; random pixels and labels, generated here: nothing is downloaded) and each image architecture
(fc, lcn, cnn, cnn_gap), trains --runs runs on the whole training set through the engine with the image
protocol's batch size and learning rate for --steps steps, in a child process of its own, and reports:
time per run (milliseconds where seconds would round to zero; and the image protocol's full run,
extrapolated in proportion to its multiply-adds, training and evaluation), runs per minute, achieved
GFLOP/s (the engine's multiply-add count x 2 over the training wall time) against a 2048^3 float32
matmul measured in the same process, the seconds spent compiling the program (or reading it from the
compilation cache), and the child's peak resident memory. Writes scale.json and summary.md to --workdir.
"""

import dataclasses
import json
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import peak
from lib.data import Dataset, load_dataset
from lib.data.digits28_reader import read_digits28
from lib.core import counting
from lib.engine import experiment, grids
from lib.report import render, speed_sections

SHAPES = {'mnist': ((28, 28, 1), 60_000, 10_000), 'cifar10': ((32, 32, 3), 50_000, 10_000)}
ARCHS = ('fc', 'lcn', 'cnn', 'cnn_gap')
FLAGS = flags.FLAGS

sweep_flags.define_dataset('digits', 'Only its protocol matters here: scale trains on generated '
                           'arrays of MNIST and CIFAR-10 shapes.')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/scale', 'Where scale.json and summary.md are '
                               'written.')
_SHAPES = flags.DEFINE_multi_enum('shapes', list(SHAPES), list(SHAPES), 'Dataset shapes.')
_ARCHS = flags.DEFINE_multi_enum('archs', list(ARCHS), list(ARCHS), 'Architectures.')
_RUNS = flags.DEFINE_integer('runs', 2, 'Runs trained per architecture.', lower_bound=1)
_BENCH_STEPS = flags.DEFINE_integer('bench_steps', 200, 'Steps each run trains (the protocol\'s '
                                    'full --steps are extrapolated from the rate).', lower_bound=1)
_WRITE_NPZ = flags.DEFINE_string('write_npz', None, 'Instead of benchmarking, write an MNIST-like '
                                  'npz here (the arrays of --dataset=digits28: 28x28 digits made from '
                                  'scikit-learn\'s, 5,000 train and 5,000 test) for '
                                  '`--dataset=npz:PATH` at MNIST scale.')
flags.register_validator('write_npz', lambda path: path is None or bool(path.strip()),
                         '--write_npz must not be empty')
_ROW = flags.DEFINE_string('row', None, 'Internal: measure one SHAPE:ARCH in this process and print '
                           'its JSON.')


def generated(shape: str) -> Dataset:
  """Random images of a dataset's shape, float32 in [0, 1], 10 balanced classes."""
  grid, num_train, num_test = SHAPES[shape]
  rng = np.random.default_rng(0)
  x = lambda n: rng.random((n, *grid), dtype=np.float32)
  y = lambda n: (np.arange(n) % 10).astype(np.int32)
  return Dataset(f'{shape}-shaped', x(num_train), y(num_train), x(num_test), y(num_test), 10)


def measure(shape: str, arch: str) -> dict:
  """Trains --runs runs of `arch` on `shape`'s generated arrays; returns the row."""
  data = generated(shape)
  protocol = sweep_flags.train_config(arch)
  train = sweep_flags.train_config(steps=_BENCH_STEPS.value, eval_every=_BENCH_STEPS.value)
  (group,) = grids.standard_groups(data, data.name, [arch], [len(data.y_train)],
                                   range(_RUNS.value), train, sweep_flags.METHOD.value)
  gflops_peak = peak.matmul_gflops()
  with tempfile.TemporaryDirectory() as workdir:
    tic = time.time()
    records = experiment.run([group], workdir, {'row': f'{shape}:{arch}'}, sweep_flags.options())
    total_s = time.time() - tic
  train_s = sum(r['wall_time_s'] for r in records)
  cost = experiment.cost_per_run(group)
  full = experiment.cost_per_run(dataclasses.replace(group, train=protocol))
  return {'shape': shape, 'arch': arch, 'runs': len(records), 'steps': train.steps,
          'seconds_per_run': train_s / len(records),
          'protocol_seconds_per_run': train_s / len(records) * full / cost,
          'protocol_steps': protocol.steps,
          'runs_per_minute': 60 * len(records) / train_s, 'compile_and_overhead_s': total_s - train_s,
          'compile_s': records[0]['compile_time_s'],
          'compiled_from_cache': records[0]['compiled_from_cache'],
          'gflops': 2 * cost * len(records) / train_s / 1e9, 'matmul_gflops': gflops_peak,
          'params': counting.model_cost(group.model, data.x_train.shape[1:]).params,
          'peak_rss_gb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def main(argv):
  del argv
  if _WRITE_NPZ.value:
    x_train, y_train, x_test, y_test, _ = read_digits28()
    np.savez_compressed(_WRITE_NPZ.value, x_train=x_train, y_train=y_train, x_test=x_test,
                        y_test=y_test)
    print(f'Wrote {_WRITE_NPZ.value}: 5,000 train and 5,000 test 28x28 digits.')
    return
  if not _WORKDIR.value:
    raise ValueError('--workdir must not be empty')
  if _ROW.value:
    shape, _, arch = _ROW.value.partition(':')
    if shape not in SHAPES or arch not in ARCHS:
      raise ValueError(f'--row={_ROW.value}: expected SHAPE:ARCH with SHAPE in {list(SHAPES)} and '
                       f'ARCH in {list(ARCHS)}')
    device_flags.configure_devices()
    print('ROW ' + json.dumps(measure(shape, arch)))
    return
  device_flags.check_distributed()  # validate what the children would refuse, before they start
  load_dataset(FLAGS.dataset, data_dir=FLAGS.data_dir)  # its protocol is the one measured
  sweep_flags.train_config()
  rows = []
  for shape in _SHAPES.value:
    for arch in _ARCHS.value:
      child = subprocess.run([sys.executable, *sys.argv, f'--row={shape}:{arch}'], capture_output=True,
                             text=True, check=False)
      lines = [l for l in child.stdout.splitlines() if l.startswith('ROW ')]
      if child.returncode or not lines:
        raise RuntimeError(f'{shape}:{arch} failed:\n{child.stderr[-3000:]}')
      rows.append(json.loads(lines[-1][4:]))
      print(speed_sections.scale_table(rows[-1:]).splitlines()[-1], flush=True)
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  (workdir / 'scale.json').write_text(json.dumps(rows, indent=2) + '\n', encoding='utf-8')
  print(render.write('scale', workdir))
