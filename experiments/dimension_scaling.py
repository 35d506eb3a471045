"""Sample complexity against input size: the smallest n reaching a target accuracy, per family and size.

Two generated tasks, lza (Li, Zhang and Arora 2021) and dsd (Lahoti et al. 2024) at growing k
(dsd_k) or d (dsd_d); the papers' bounds and their predicted slopes: `lib.analysis.sample_complexity`.

Models (--models): 'paper' trains the networks the papers analyse (`lib.core.paper_models`) by plain
SGD from an i.i.d. Gaussian start (weights N(0, 1/fan_in), biases 0), the algorithm class the lower
bounds cover; 'standard' trains the project's image models (fc, lcn, cnn, cnn_gap) with Adam from lib's
uniform start (permutation- but not orthogonally equivariant: the theory's predictions are drawn for
reference only); 'both' trains both.

Each (task, size, arch) is one engine group: every n of --sizes_n x --num_seeds seeds, nested
class-balanced subsets of one generated training set. The smallest n reaching the target is
interpolated in log n between the grid points around the crossing, per seed; its log-log slope against
size is fitted per seed, and the mean slope gets a t interval over seeds. Seeds whose curve never
reaches the target at some size are left out of that size's fit and counted, and so are the runs
that stayed below the engine's 98% train accuracy. Writes results.jsonl, summary.md,
sample_complexity.json and dimension_scaling.png to --workdir.
"""

import json
import math
import pathlib

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import dimension_runs, sample_complexity
from lib.engine import experiment, training
from lib.report import render

TASKS = sample_complexity.TASKS

_WORKDIR = flags.DEFINE_string('workdir', 'runs/dimension_scaling', 'Where the runs and summaries are '
                               'written; re-running resumes.')
_TASKS = flags.DEFINE_list('tasks', ['lza', 'dsd_k'], f'Tasks, from {TASKS}.')
_MODELS = flags.DEFINE_enum('models', 'paper', ['paper', 'standard', 'both'], 'Which networks.')
_ARCHS = flags.DEFINE_list('archs', None, 'Only these families (fc, lcn, cnn, cnn_gap); default all '
                           'that each task and kind of model has.')
_LZA_SIZES = flags.DEFINE_list('lza_sizes', ['4', '6', '8', '12', '16'], 'lza: half-lengths d.')
_DSD_K_SIZES = flags.DEFINE_list('dsd_k_sizes', ['2', '4', '8', '16', '32'], 'dsd_k: patches k.')
_DSD_D_SIZES = flags.DEFINE_list('dsd_d_sizes', ['4', '8', '16', '32', '64'], 'dsd_d: dimensions d.')
_DSD_D = flags.DEFINE_integer('dsd_d', 8, 'dsd_k: the patch dimension d.', lower_bound=1)
_DSD_K = flags.DEFINE_integer('dsd_k', 4, 'dsd_d: the number of patches k.', lower_bound=1)
_SIGMA0 = flags.DEFINE_float('sigma0', 0.5, 'dsd: noise sigma = sigma0 / sqrt(k).', lower_bound=0)
_LSA = flags.DEFINE_float('lsa_threshold', 1.0, 'dsd paper models: the LSA threshold b, in units of '
                          'the noise sigma.', lower_bound=0)
_SIZES_N = flags.DEFINE_list('sizes_n', [str(2 ** i) for i in range(2, 13)], 'Training-set sizes n.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 3, 'Seeds 0..num_seeds-1.', lower_bound=1)
_NUM_TEST = flags.DEFINE_integer('num_test', 2000, 'Generated test examples.', lower_bound=2)
_TARGETS = flags.DEFINE_list('targets', ['lza=0.8', 'dsd_k=0.9', 'dsd_d=0.9'], 'Target test '
                             'accuracy per task, TASK=VALUE.')
_STEPS = flags.DEFINE_integer('steps', 2000, 'Optimizer steps per run.', lower_bound=1)
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 64, 'Minibatch size.', lower_bound=1)
_PAPER_LR = flags.DEFINE_float('paper_learning_rate', 0.5, 'SGD learning rate (paper models).',
                               lower_bound=0)
_LZA_LR = flags.DEFINE_float('lza_learning_rate', 0.05, 'SGD learning rate of the lza paper models '
                             '(their quadratic activation needs a smaller step).', lower_bound=0)
_STANDARD_LR = flags.DEFINE_float('standard_learning_rate', 3e-3, 'Adam learning rate (standard '
                                  'models).', lower_bound=0)


def _ints(values) -> bool:
  return bool(values) and all(v.strip().isdigit() and int(v) > 0 for v in values)


for _name in ('lza_sizes', 'dsd_k_sizes', 'dsd_d_sizes', 'sizes_n'):
  flags.register_validator(_name, _ints, f'--{_name} must be a non-empty list of positive ints')
flags.register_validator('tasks', bool, '--tasks must not be empty')
flags.register_validator('targets', bool, '--targets must not be empty')
flags.register_validator('archs', lambda v: v is None or bool(v), '--archs must not be empty')
flags.register_validator('sigma0', lambda v: 0 < v < math.inf, '--sigma0 must be positive and finite')
flags.register_validator('lsa_threshold', lambda v: 0 <= v < math.inf,
                         '--lsa_threshold must be non-negative and finite')
for _name in ('paper_learning_rate', 'lza_learning_rate', 'standard_learning_rate'):
  flags.register_validator(_name, lambda v: 0 < v < math.inf, f'--{_name} must be positive and finite')


def sizes(task: str) -> tuple[int, ...]:
  flag = {'lza': _LZA_SIZES, 'dsd_k': _DSD_K_SIZES, 'dsd_d': _DSD_D_SIZES}[task]
  values = sweep_flags.positive_ints(flag.name, flag.value)
  if len(values) < 3:
    raise ValueError(f'--{flag.name}: at least 3 sizes are needed for a slope with an interval')
  return tuple(sorted(values))


def tasks_config(task_list) -> sample_complexity.Tasks:
  """The generated tasks the flags describe."""
  return sample_complexity.Tasks(
      sizes={t: sizes(t) for t in task_list},
      n_train=max(sweep_flags.positive_ints('sizes_n', _SIZES_N.value)), n_test=_NUM_TEST.value,
      dsd_d=_DSD_D.value, dsd_k=_DSD_K.value, sigma0=_SIGMA0.value)


def train_config(task: str, kind: str) -> training.TrainConfig:
  """Adam (standard models) or SGD (paper models: lza's own learning rate), evaluated at the end."""
  if kind == 'standard':
    optimizer, learning_rate = 'adam', _STANDARD_LR.value
  else:
    optimizer, learning_rate = 'sgd', (_LZA_LR if task == 'lza' else _PAPER_LR).value
  return training.TrainConfig(optimizer=optimizer, learning_rate=learning_rate,
                              batch_size=_BATCH_SIZE.value, steps=_STEPS.value,
                              eval_every=_STEPS.value)


def main(argv):
  del argv
  device_flags.configure_devices()
  task_list = tuple(dict.fromkeys(_TASKS.value))
  for task in task_list:
    if task not in TASKS:
      raise ValueError(f'--tasks: {task!r} is not one of {TASKS}')
  target_of = dimension_runs.targets(_TARGETS.value, task_list)
  sizes_n = tuple(sorted(sweep_flags.positive_ints('sizes_n', _SIZES_N.value)))
  if sizes_n[0] < 2:
    raise ValueError(f'--sizes_n: n={sizes_n[0]} is below the 2 classes')
  seeds = tuple(range(_NUM_SEEDS.value))
  kinds = ('paper', 'standard') if _MODELS.value == 'both' else (_MODELS.value,)
  for task in task_list:
    sizes(task)
  for arch in _ARCHS.value or ():
    if arch not in dimension_runs.STANDARD_ARCHS:
      raise ValueError(f'--archs: {arch!r} is not one of {dimension_runs.STANDARD_ARCHS}')
  groups = dimension_runs.groups(tasks_config(task_list), kinds, _ARCHS.value, sizes_n, seeds,
                                 train_config, lsa_threshold=_LSA.value,
                                 method=sweep_flags.METHOD.value)
  if not groups:
    raise ValueError(f'--archs={",".join(_ARCHS.value)}: no model of --models={_MODELS.value} on '
                     f'--tasks={",".join(task_list)}')
  config = {'experiment': 'dimension_scaling', 'tasks': task_list, 'kinds': kinds,
            'archs': _ARCHS.value,
            'sizes': {t: sizes(t) for t in task_list}, 'sizes_n': sizes_n, 'seeds': seeds,
            'dsd_d': _DSD_D.value, 'dsd_k': _DSD_K.value, 'sigma0': _SIGMA0.value,
            'lsa_threshold': _LSA.value, 'steps': _STEPS.value, 'batch_size': _BATCH_SIZE.value,
            'paper_learning_rate': _PAPER_LR.value, 'lza_learning_rate': _LZA_LR.value,
            'standard_learning_rate': _STANDARD_LR.value, 'num_test': _NUM_TEST.value,
            'method': sweep_flags.METHOD.value}
  records = experiment.run(groups, _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  workdir = pathlib.Path(_WORKDIR.value)
  analysis = sample_complexity.analyse(records, tasks_config(task_list), task_list, sizes_n, seeds,
                                       target_of)
  (workdir / 'sample_complexity.json').write_text(json.dumps(analysis, indent=1))
  print(render.write('dimension_scaling', workdir))
