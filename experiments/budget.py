"""Budgets: test and train accuracy of the widest and the deepest FC, LCN and CNN that fit a budget.

For every budget of free parameters (--param_budgets) and, separately, of multiply-adds per example
(--mac_budgets), the widest network of each family at --wide_depth hidden layers and the deepest with
--deep_width channels per layer, FC layers holding as many units (`lib.analysis.budgets`: 3-tap SAME
stride-1 layers, flatten readout), trained at a fixed training-set size on each of --datasets with one
protocol (Adam with a cosine schedule by default; He-normal initialisation, so that the deepest nets
start trainable) through the engine, --num_seeds seeds each. The same architecture reached from two
budgets is trained once. Every row shows train accuracy beside test accuracy and marks runs below the
engine's 98% train accuracy: a budget comparison holds between networks that fit their data.

Writes results.jsonl, summary.md and summary.csv (accuracies per dataset, kind, shape, budget and
family, with the architecture), budget.json (those rows, n and the protocol) and budget.png (accuracy
against budget, a line per family, solid widest, dashed deepest) to --workdir.
"""

import json
import math
import pathlib

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import budget_runs, budgets
from lib.data import load_dataset
from lib.engine import experiment, training
from lib.report import render

DATASETS = ('mnist1d', 'digits')

_WORKDIR = flags.DEFINE_string('workdir', 'runs/budget', 'Where runs and summaries go; re-running '
                               'resumes.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_DATASETS = flags.DEFINE_list('datasets', None, f'From {DATASETS} (default all).')
_DIGITS_CANVAS = flags.DEFINE_integer('digits_canvas', 8, 'digits: canvas side (8 = the images as '
                                      'they are).', lower_bound=8)
_KINDS = flags.DEFINE_list('kinds', None, f'Budget kinds, from {budgets.KINDS} (default all).')
_SHAPES = flags.DEFINE_list('shapes', None, f'From {budgets.SHAPES} (default all).')
_PARAM_BUDGETS = flags.DEFINE_list('param_budgets', ['4000', '32000'], 'Budgets of free parameters.')
_MAC_BUDGETS = flags.DEFINE_list('mac_budgets', ['20000', '160000'],
                                 'Budgets of multiply-adds per example (forward, factored).')
_WIDE_DEPTH = flags.DEFINE_integer('wide_depth', 2, 'Hidden layers of the widest networks.',
                                   lower_bound=1)
_DEEP_WIDTH = flags.DEFINE_integer('deep_width', 4, 'Channels of the deepest LCN and CNN; the deepest '
                                   'FC has as many units per layer (channels x positions).',
                                   lower_bound=1)
_MAX_DEPTH = flags.DEFINE_integer('max_depth', 8, 'Deepest network considered.', lower_bound=1)
_SIZE = flags.DEFINE_integer('n', 1000, 'Training-set size (at most the dataset\'s).', lower_bound=1)
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 2, 'Seeds 0..num_seeds-1.', lower_bound=1)
_STEPS = flags.DEFINE_integer('steps', 1500, 'Adam steps per run.', lower_bound=1)
_LEARNING_RATE = flags.DEFINE_float('learning_rate', 3e-3, 'Adam learning rate (the peak of the '
                                     'schedule).')
_SCHEDULE = flags.DEFINE_enum('schedule', 'cosine', training.SCHEDULES, 'The learning rate over a '
                              'run (cosine: down to 0 at the last step, so runs end converged).')
flags.register_validator('learning_rate', lambda v: 0 < v < math.inf,
                         '--learning_rate must be positive and finite')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 64, 'Examples per step.', lower_bound=1)


def main(argv):
  del argv
  device_flags.configure_devices()
  chosen = {}
  for name, values, known in (('datasets', _DATASETS.value, DATASETS),
                              ('kinds', _KINDS.value, budgets.KINDS),
                              ('shapes', _SHAPES.value, budgets.SHAPES)):
    chosen[name] = sweep_flags.given_list(name, values, known)
    for value in chosen[name]:
      if value not in known:
        raise ValueError(f'--{name}: {value!r} is not one of {known}')
  grid = {'params': sweep_flags.positive_ints('param_budgets', _PARAM_BUDGETS.value),
          'macs': sweep_flags.positive_ints('mac_budgets', _MAC_BUDGETS.value)}
  train = training.TrainConfig(optimizer='adam', learning_rate=_LEARNING_RATE.value,
                               batch_size=_BATCH_SIZE.value, steps=_STEPS.value,
                               eval_every=_STEPS.value, schedule=_SCHEDULE.value)
  train.validate()
  datasets = {name: load_dataset(name, canvas=_DIGITS_CANVAS.value) if name == 'digits'
              else load_dataset(name) for name in chosen['datasets']}
  seeds = tuple(range(_NUM_SEEDS.value))
  cells = budget_runs.plan(datasets, chosen['kinds'], chosen['shapes'], grid, _WIDE_DEPTH.value,
                           _DEEP_WIDTH.value, _MAX_DEPTH.value)
  # The protocol only: budgets, shapes and seeds pick runs (their identities), so a grid can grow.
  config = {'experiment': 'budget', 'digits_canvas': _DIGITS_CANVAS.value, 'train': vars(train),
            'n': _SIZE.value}
  records = experiment.run(budget_runs.groups(cells, datasets, seeds, _SIZE.value, train),
                           _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  workdir = pathlib.Path(_WORKDIR.value)
  (workdir / 'budget.json').write_text(json.dumps(
      {'n': _SIZE.value, 'train': vars(train),
       'rows': budget_runs.rows(cells, records, datasets)}, indent=1))
  print(render.write('budget', workdir))
