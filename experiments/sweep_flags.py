"""absl flags shared by sweep experiments: the training protocol, sweep mechanics, devices, multi-host.

Importing this module defines the flags (once per process). On a CPU, `--cpu_devices` exposes one JAX
device per core (by default), so the run axis, sharded over devices, keeps every core busy.

Multi-host: start the same command on every host with `--distributed`; `jax.distributed.initialize`
then finds the cluster (Cloud TPU, SLURM, Open MPI auto-detect) or uses `--coordinator_address`,
`--num_processes` and `--process_id`. The run axis is then sharded over every device of every host,
and process 0 alone writes the work directory. Every process reads it to plan the same pending runs,
so --workdir must be on a filesystem that every host sees.
"""

import os

import jax
from absl import flags, logging

from lib.core import contraction
from lib.engine import training

_DEFAULTS = training.TrainConfig()

OPTIMIZER = flags.DEFINE_enum('optimizer', _DEFAULTS.optimizer, training.OPTIMIZERS, 'The optimizer.')
LEARNING_RATE = flags.DEFINE_float('learning_rate', _DEFAULTS.learning_rate, 'Learning rate.')
BATCH_SIZE = flags.DEFINE_integer('batch_size', _DEFAULTS.batch_size,
                                  'Examples per step, sampled with replacement from the run\'s subset.')
STEPS = flags.DEFINE_integer('steps', _DEFAULTS.steps, 'Optimizer steps per run.')
WEIGHT_DECAY = flags.DEFINE_float('weight_decay', _DEFAULTS.weight_decay,
                                  'adamw: decoupled weight decay; adam, sgd: L2 added to the gradient.')
EVAL_EVERY = flags.DEFINE_integer('eval_every', _DEFAULTS.eval_every,
                                  'Steps between evaluation points; must divide --steps.')
METHOD = flags.DEFINE_enum('method', 'auto', contraction.METHODS,
                           'Factored contraction of every pattern layer (lib.core.contraction).')
CHUNK_SIZE = flags.DEFINE_integer('chunk_size', 8, 'Most runs trained by one compiled call (on CPU '
                                  'small chunks stay in cache: 8 beat 16, 32 and 64 on 2 cores).')
OVERWRITE = flags.DEFINE_bool('overwrite', False,
                              'Replace a workdir that holds results of a different config.')
CPU_DEVICES = flags.DEFINE_integer('cpu_devices', None, 'JAX CPU devices (jax_num_cpu_devices); '
                                   'default one per core; 0 keeps JAX\'s default.')
DISTRIBUTED = flags.DEFINE_bool('distributed', False,
                                'Multi-host: call jax.distributed.initialize before anything else.')
COORDINATOR_ADDRESS = flags.DEFINE_string('coordinator_address', None,
                                          'With --distributed: host:port of process 0 (else auto).')
NUM_PROCESSES = flags.DEFINE_integer('num_processes', None,
                                     'With --distributed: the number of processes (else auto).')
PROCESS_ID = flags.DEFINE_integer('process_id', None,
                                  'With --distributed: this process\'s index (else auto).')


def train_config(eval_every: int | None = None) -> training.TrainConfig:
  """The TrainConfig the flags give (`eval_every` overrides --eval_every), validated.

  Raises:
    ValueError: naming the flag and value that is out of range.
  """
  config = training.TrainConfig(optimizer=OPTIMIZER.value, learning_rate=LEARNING_RATE.value,
                                batch_size=BATCH_SIZE.value, steps=STEPS.value,
                                weight_decay=WEIGHT_DECAY.value,
                                eval_every=EVAL_EVERY.value if eval_every is None else eval_every)
  config.validate()
  return config


def configure_devices() -> None:
  """Applies --cpu_devices, then --distributed; call before any other JAX call.

  If JAX has already initialised its backends (e.g. in a test process), --cpu_devices is left as it
  is, with a warning.
  """
  count = os.cpu_count() if CPU_DEVICES.value is None else CPU_DEVICES.value
  if count < 0:
    raise ValueError(f'cpu_devices={count!r}: must be non-negative')
  if count:
    try:
      jax.config.update('jax_num_cpu_devices', count)
    except RuntimeError:
      logging.warning('JAX is already initialised: --cpu_devices=%d has no effect.', count)
  if DISTRIBUTED.value:
    jax.distributed.initialize(coordinator_address=COORDINATOR_ADDRESS.value,
                               num_processes=NUM_PROCESSES.value, process_id=PROCESS_ID.value)
