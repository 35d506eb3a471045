"""Infinite-width view: CNN and LCN kernels agree without pooling and differ with it (Novak et al. 2019).

For each dataset (default MNIST-1D and the 8x8 digits, small class-balanced subsets):
1. Monte Carlo NNGP kernels of randomly initialised networks built from lib's layers
   (`lib.analysis.kernels`) at each width: the relative difference between CNN-flatten and
   LCN-flatten, and between CNN-GAP and LCN-GAP, with log-log slopes against width. The first should
   fall toward zero (the two are one Gaussian process in the limit); the second should level off at
   the difference of the exact kernels. Each Monte Carlo kernel is also compared with its exact one.
2. The exact infinite-width kernels (the ReLU recursion) as predictors: NNGP posterior-mean (kernel
   regression) test accuracy per architecture.
3. Trained finite networks of the same architectures (`--train_width` channels or units), on the same
   training subset, through the engine, next to the kernels.
Writes kernels.json, settings.json (the networks' settings), summary.md and kernel_difference.png to
--workdir (trained runs: workdir/trained).
"""

import json
import math
import pathlib
import time

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import kernel_sweep, kernels
from lib.core import models
from lib.engine import experiment, training
from lib.report import render

PRECISION = 'highest'  # launch.py's --precision default here: kernels are compared exactly

_WORKDIR = flags.DEFINE_string('workdir', 'runs/kernels', 'Where results and figures are written.')
_DATASETS = flags.DEFINE_list('datasets', ['mnist1d', 'digits'], 'lib.data.load_dataset specs.')
_CANVAS = flags.DEFINE_integer('canvas', 8, 'Side of the digits canvas (8: the bare digits; the exact '
                               'CNN kernel costs grow as the square of the positions).', lower_bound=8)
_NUM_TRAIN = flags.DEFINE_integer('num_train', 400, 'Training examples (class-balanced subset).',
                                  lower_bound=2)
_NUM_TEST = flags.DEFINE_integer('num_test', 200, 'Test examples (class-balanced subset).',
                                 lower_bound=2)
_NUM_PROBE = flags.DEFINE_integer('num_probe', 100, 'Training examples on which Monte Carlo kernels '
                                  'are compared across widths.', lower_bound=2)
_WIDTHS = flags.DEFINE_list('widths', ['4', '8', '16', '32', '64', '128'], 'Widths of the Monte Carlo '
                            'networks (channels; FC units).')
_NUM_SAMPLES = flags.DEFINE_integer('num_samples', 32, 'Random networks per Monte Carlo kernel.',
                                    lower_bound=1)
_DEPTH = flags.DEFINE_integer('depth', 2, 'Hidden ReLU layers.', lower_bound=1)
_KERNEL_SIZE = flags.DEFINE_integer('kernel_size', 3, 'Odd taps per grid dimension.', lower_bound=1)
_WEIGHT_VAR = flags.DEFINE_float('weight_var', 2.0, 'Weight variance times fan-in.', lower_bound=0)
_BIAS_VAR = flags.DEFINE_float('bias_var', 0.0, 'Bias variance.', lower_bound=0)
_RIDGE = flags.DEFINE_float('ridge', 1e-3, 'Kernel regression noise, relative to the mean diagonal.',
                            lower_bound=0)
_TRAIN_WIDTH = flags.DEFINE_integer('train_width', 32, 'Width of the trained networks; 0 trains none.',
                                    lower_bound=0)
_TRAIN_ARCHS = flags.DEFINE_list('train_archs', list(kernels.ARCHS), 'Architectures trained.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 2, 'Seeds of the trained networks.', lower_bound=1)
_STEPS = flags.DEFINE_integer('steps', 1000, 'Adam steps of the trained networks.', lower_bound=1)
_LEARNING_RATE = flags.DEFINE_float('learning_rate', 3e-3, 'Adam learning rate (the schedule\'s peak).',
                                     lower_bound=0)
_SCHEDULE = flags.DEFINE_enum('schedule', 'cosine', training.SCHEDULES, 'Learning rate over a run of '
                              'the trained networks.')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 64, 'Minibatch of the trained networks.',
                                   lower_bound=1)
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
flags.register_validator('datasets', bool, '--datasets must not be empty')
flags.register_validator('train_archs', bool, '--train_archs must not be empty (--train_width=0 '
                         'trains none)')
for _name in ('weight_var', 'bias_var', 'ridge'):
  flags.register_validator(_name, lambda v: 0 <= v < math.inf, f'--{_name} must be non-negative and '
                           'finite')
flags.register_validator('weight_var', lambda v: v > 0, '--weight_var must be positive')
flags.register_validator('learning_rate', lambda v: 0 < v < math.inf,
                         '--learning_rate must be positive and finite')


def architecture() -> dict:
  return {'depth': _DEPTH.value, 'kernel_size': _KERNEL_SIZE.value,
          'weight_var': _WEIGHT_VAR.value, 'bias_var': _BIAS_VAR.value}


def trained_groups(spec: str, arrays: dict) -> list[experiment.Group]:
  """One engine group per architecture: finite networks of the kernels' architectures."""
  train = training.TrainConfig(optimizer='adam', learning_rate=_LEARNING_RATE.value,
                               batch_size=_BATCH_SIZE.value, steps=_STEPS.value,
                               eval_every=_STEPS.value, schedule=_SCHEDULE.value)
  data = {k: arrays[k] for k in ('x_train', 'y_train', 'x_test', 'y_test')}
  groups = []
  for arch in _TRAIN_ARCHS.value:
    family, readout = ('fc', 'flatten') if arch == 'fc' else arch.split('_')
    model = models.build(family, num_classes=arrays['num_classes'], depth=_DEPTH.value,
                         width=_TRAIN_WIDTH.value, kernel_size=_KERNEL_SIZE.value, strides=1,
                         readout=readout, method=sweep_flags.METHOD.value)
    runs = tuple({'arch': arch, 'dataset': spec, 'n': len(arrays['y_train']), 'seed': s}
                 for s in range(_NUM_SEEDS.value))
    groups.append(experiment.Group(f'{spec} {arch}', model, train, data, runs))
  return groups


def main(argv):
  del argv
  device_flags.configure_devices()
  widths = sweep_flags.positive_ints('widths', _WIDTHS.value)
  if _KERNEL_SIZE.value % 2 == 0:
    raise ValueError(f'kernel_size={_KERNEL_SIZE.value}: must be odd')
  for arch in _TRAIN_ARCHS.value:
    if arch not in kernels.ARCHS:
      raise ValueError(f'--train_archs: {arch!r} is not one of {kernels.ARCHS}')
  arrays = {}
  for spec in _DATASETS.value:
    try:
      arrays[spec] = kernel_sweep.subsets(spec, _CANVAS.value, _NUM_TRAIN.value, _NUM_TEST.value,
                                          _NUM_PROBE.value)
    except ValueError as error:
      raise ValueError(f'--datasets: {error}') from None
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  key = jax.random.PRNGKey(0)
  results = {}
  for i, (spec, data) in enumerate(arrays.items()):
    tic = time.time()
    exact = kernel_sweep.exact_on_training_set(data, architecture())
    results[spec] = {'sweep': kernel_sweep.width_sweep(data, exact, widths, jax.random.fold_in(key, i),
                                                       _NUM_SAMPLES.value, architecture()),
                     'regression': kernel_sweep.regression(data, exact, _RIDGE.value)}
    print(f'{spec}: kernels in {time.time() - tic:.0f} s', flush=True)
  trained = []
  if _TRAIN_WIDTH.value:
    groups = [g for spec, data in arrays.items() for g in trained_groups(spec, data)]
    config = {'experiment': 'kernels', 'datasets': list(arrays), 'canvas': _CANVAS.value,
              'num_train': _NUM_TRAIN.value, 'num_test': _NUM_TEST.value, **architecture(),
              'train_width': _TRAIN_WIDTH.value, 'steps': _STEPS.value,
              'learning_rate': _LEARNING_RATE.value, 'schedule': _SCHEDULE.value,
              'batch_size': _BATCH_SIZE.value,
              'method': sweep_flags.METHOD.value}
    trained = experiment.run(groups, str(workdir / 'trained'), config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  (workdir / 'kernels.json').write_text(json.dumps(results, indent=1))
  (workdir / 'settings.json').write_text(json.dumps(
      {**architecture(), 'num_samples': _NUM_SAMPLES.value, 'train_width': _TRAIN_WIDTH.value}))
  print(render.write('kernels', workdir, trained))
