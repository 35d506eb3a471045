"""absl flags shared by the experiments: dataset, training protocol, engine.

Importing this module defines the engine's flags; an experiment then calls
`define_dataset(default)` once at import, which defines --dataset and --data_dir and the training flags
with the defaults of the dataset that will run (the one on the command line, else `default`), so that
`--helpfull` shows the protocol that runs. The devices' flags are `experiments.device_flags`.
"""

import math
import sys

from absl import flags

from lib.core import contraction
from lib.engine import experiment, protocols, training, widths

FLAGS = flags.FLAGS

METHOD = flags.DEFINE_enum('method', 'auto', contraction.METHODS,
                           'Factored contraction of every pattern layer (lib.core.contraction).')
CHUNK_SIZE = flags.DEFINE_integer(
    'chunk_size', None, 'Most runs trained by one compiled call. Default: the device\'s rule '
    f'(lib.engine.widths): {widths.CPU_CHUNK_SIZE} on a CPU (small chunks stay in its caches: 8 beat '
    '16, 32 and 64 on 2 cores); on a GPU or TPU every run of a group, one call per group where '
    '--memory_budget_gb allows.', lower_bound=1)
MEMORY_BUDGET_GB = flags.DEFINE_float(
    'memory_budget_gb', None, 'Most memory one compiled call may take by XLA\'s estimate (GB, all '
    'devices together); chunks narrow to fit. Default: the device\'s rule (lib.engine.widths): '
    f'{widths.CPU_MEMORY_GB} GB of host memory on a CPU; on a GPU or TPU '
    f'{widths.ACCELERATOR_SHARE:.0%} of the device memory free when a group compiles.')
EVAL_BATCH_SIZE = flags.DEFINE_integer('eval_batch_size', 500, 'Examples per evaluation batch.',
                                       lower_bound=1)
OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace a workdir that holds results of a '
                              'different config (moved aside when the first new run is recorded).')
flags.register_validator('memory_budget_gb', lambda v: v is None or 0 < v < math.inf,
                         '--memory_budget_gb must be positive and finite')


def _from_argv(name: str) -> str | None:
  """The value of --NAME on the command line, if given (read before flags are parsed)."""
  for i, arg in enumerate(sys.argv):
    if arg.startswith(f'--{name}='):
      return arg.split('=', 1)[1]
    if arg == f'--{name}' and i + 1 < len(sys.argv):
      return sys.argv[i + 1]
  return None


def define_dataset(default: str, help_text: str = '') -> None:
  """Defines --dataset, --data_dir and the training flags, defaulting to the chosen dataset's protocol.

  Args:
    default: the experiment's default dataset spec.
    help_text: extra help for --dataset.
  """
  flags.DEFINE_string('dataset', default, 'A lib.data.load_dataset spec: mnist1d, digits, '
                      'tfds:NAME[:CONFIG] or npz:PATH. ' + help_text)
  flags.DEFINE_string('data_dir', None, 'TFDS data directory (tfds: datasets; default TFDS\'s).')
  flags.register_validator('dataset', lambda spec: bool(spec.strip()), '--dataset must not be empty')
  dataset = _from_argv('dataset') or default
  base = protocols.train_defaults(dataset)
  note = f' (default: the protocol of --dataset={dataset})'
  flags.DEFINE_enum('optimizer', base.optimizer, training.OPTIMIZERS, 'The optimizer' + note)
  flags.DEFINE_float('learning_rate', base.learning_rate, 'Learning rate' + note)
  flags.DEFINE_enum('schedule', base.schedule, training.SCHEDULES, 'The learning rate over a run: '
                    'constant, or cosine decay to 0 at the last step' + note)
  flags.DEFINE_integer('batch_size', base.batch_size, 'Examples per step, sampled with replacement '
                       'from the run\'s subset' + note, lower_bound=1)
  longer = '' if protocols.is_paper(dataset) else ''.join(
      f'; {arch}: {steps} unless --steps is given' for arch, steps in protocols.IMAGE_STEPS.items())
  flags.DEFINE_integer('steps', base.steps, 'Optimizer steps per run' + note + longer, lower_bound=1)
  flags.DEFINE_float('weight_decay', base.weight_decay, 'adamw: decoupled weight decay; adam, sgd: '
                     'L2 added to the gradient' + note)
  flags.DEFINE_integer('eval_every', base.eval_every, 'Steps between evaluation points; must divide '
                       '--steps' + note, lower_bound=1)
  flags.register_validator('learning_rate', lambda v: 0 < v < math.inf,
                           '--learning_rate must be positive and finite')
  flags.register_validator('weight_decay', lambda v: 0 <= v < math.inf,
                           '--weight_decay must be non-negative and finite')


def train_config(arch: str | None = None, **overrides) -> training.TrainConfig:
  """The TrainConfig the training flags give, with `overrides`, validated.

  Args:
    arch: an architecture whose protocol on --dataset trains longer (`protocols.IMAGE_STEPS`) gets
      its own --steps and --eval_every unless those flags are given (on the command line, or set
      to another value than their default, as a test's flagsaver does).
    **overrides: fields that replace the flags' values.

  Raises:
    ValueError: naming the flag and value that is out of range.
  """
  own = protocols.train_defaults(FLAGS.dataset, arch)
  given = lambda name: (FLAGS[name].present or FLAGS[name].value != FLAGS[name].default
                       or own == protocols.train_defaults(FLAGS.dataset))
  config = training.TrainConfig(
      optimizer=FLAGS.optimizer, learning_rate=FLAGS.learning_rate, schedule=FLAGS.schedule,
      batch_size=FLAGS.batch_size,
      steps=FLAGS.steps if given('steps') else own.steps, weight_decay=FLAGS.weight_decay,
      eval_every=FLAGS.eval_every if given('eval_every') else own.eval_every)
  config = training.TrainConfig(**{**vars(config), **overrides})
  config.validate()
  return config


def options() -> experiment.Options:
  """The engine options the flags give."""
  result = experiment.Options(chunk_size=CHUNK_SIZE.value, memory_budget_gb=MEMORY_BUDGET_GB.value,
                              eval_batch_size=EVAL_BATCH_SIZE.value, overwrite=OVERWRITE.value)
  result.validate()
  return result


def positive_ints(name: str, values) -> tuple[int, ...]:
  """A list flag's values as distinct positive ints; ValueError naming --NAME otherwise."""
  try:
    out = tuple(int(v) for v in values)
  except ValueError:
    raise ValueError(f'--{name}={",".join(values)}: expected a comma-separated list of ints') from None
  if not out or min(out) < 1 or len(set(out)) != len(out):
    raise ValueError(f'--{name}={",".join(values)}: expected distinct positive ints')
  return out


def given_list(name: str, values, default) -> tuple:
  """A list flag's values, or `default` when it is not given; ValueError naming --NAME for `--NAME=`."""
  if values is None:
    return tuple(default)
  if not values:
    raise ValueError(f'--{name}= is empty: give at least one value, or leave the flag out for '
                     f'{",".join(map(str, default))}')
  return tuple(values)
