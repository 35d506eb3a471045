"""absl flags for the devices an experiment runs on: CPU devices and multi-host.

On a CPU, `--cpu_devices` exposes one JAX device per core (by default), so the run axis, sharded over
devices, keeps every core busy. Multi-host: start the same command on every host with --distributed;
`jax.distributed.initialize` then finds the cluster (Cloud TPU, SLURM, Open MPI) or uses
--coordinator_address, --num_processes and --process_id. The run axis is sharded over every device of
every host, and process 0 alone writes the work directory, which must be on a filesystem all hosts see.
An experiment imports this module and calls `configure_devices()` first in its `main`.
"""

import os

import jax
from absl import flags, logging

CPU_DEVICES = flags.DEFINE_integer('cpu_devices', None, 'JAX CPU devices (jax_num_cpu_devices); '
                                   'default one per core; 0 keeps JAX\'s default.', lower_bound=0)
DISTRIBUTED = flags.DEFINE_bool('distributed', False,
                                'Multi-host: call jax.distributed.initialize before anything else.')
COORDINATOR_ADDRESS = flags.DEFINE_string('coordinator_address', None,
                                          'With --distributed: host:port of process 0 (else auto).')
NUM_PROCESSES = flags.DEFINE_integer('num_processes', None,
                                     'With --distributed: the number of processes (else auto).',
                                     lower_bound=1)
PROCESS_ID = flags.DEFINE_integer('process_id', None,
                                  'With --distributed: this process\'s index (else auto).',
                                  lower_bound=0)


def check_distributed() -> None:
  """Raises ValueError naming the flag: a multi-host flag without --distributed, a coordinator
  address that is not HOST:PORT, or a --process_id outside [0, --num_processes)."""
  multi_host = {flag.name: flag.value for flag in (COORDINATOR_ADDRESS, NUM_PROCESSES, PROCESS_ID)
                if flag.value is not None}
  if not DISTRIBUTED.value:
    for name, value in multi_host.items():
      raise ValueError(f'--{name}={value}: only used with --distributed')
    return
  address = COORDINATOR_ADDRESS.value
  if address is not None:
    host, _, port = address.rpartition(':')
    if not host or not port.isdigit() or not 0 < int(port) < 2**16:
      raise ValueError(f'--coordinator_address={address}: expected HOST:PORT')
  if None not in (NUM_PROCESSES.value, PROCESS_ID.value) and PROCESS_ID.value >= NUM_PROCESSES.value:
    raise ValueError(f'--process_id={PROCESS_ID.value}: must be below --num_processes='
                     f'{NUM_PROCESSES.value}')


def configure_devices() -> None:
  """Checks the multi-host flags, applies --cpu_devices, then --distributed; call before any other
  JAX call.

  If JAX has already initialised its backends (e.g. in a test process), --cpu_devices is left as it
  is, with a warning.

  Raises:
    ValueError: naming a multi-host flag that is wrong (`check_distributed`).
  """
  check_distributed()
  count = os.cpu_count() if CPU_DEVICES.value is None else CPU_DEVICES.value
  if count:
    try:
      jax.config.update('jax_num_cpu_devices', count)
    except RuntimeError:
      logging.warning('JAX is already initialised: --cpu_devices=%d has no effect.', count)
  if DISTRIBUTED.value:
    jax.distributed.initialize(coordinator_address=COORDINATOR_ADDRESS.value,
                               num_processes=NUM_PROCESSES.value, process_id=PROCESS_ID.value)
