"""How wide a compiled call is (runs per call) and how much memory it may take, by device.

On a CPU small chunks stay in the processor's caches: 8 runs per call beat 16, 32 and 64 on 2 cores, and a
call may take 3 GB of the host's memory. On a GPU or a TPU, few wide calls keep the device busy: a call
trains every run of a group, narrowed only where the compiled program's own memory estimate says they
would not fit in 90% of the device memory that is free when the group compiles.
"""

import jax
from absl import logging

CPU_CHUNK_SIZE = 8
CPU_MEMORY_GB = 3.0
ACCELERATOR_SHARE = 0.9


def local_devices(mesh) -> list:
  """The devices of `mesh` that this process drives."""
  return [d for d in mesh.devices.flat if d.process_index == jax.process_index()]


def is_accelerator(devices) -> bool:
  """Whether `devices` (objects with a `platform`) include a GPU, TPU or other non-CPU device."""
  return any(d.platform != 'cpu' for d in devices)


def chunk_size(devices, runs: int, given: int | None = None) -> int:
  """Most runs per compiled call.

  Args:
    devices: this process's devices of the mesh.
    runs: runs of the group to train.
    given: --chunk_size, if given; it wins.

  Returns:
    `given`; else CPU_CHUNK_SIZE on a CPU, every run of the group on an accelerator.
  """
  if given is not None:
    return given
  return max(runs, 1) if is_accelerator(devices) else CPU_CHUNK_SIZE


def memory_budget_bytes(devices, num_devices: int, given_gb: float | None = None) -> float:
  """The most memory one compiled call may take, all `num_devices` devices of the mesh together.

  Args:
    devices: this process's devices of the mesh; each has `platform` and `memory_stats()` (a dict
      with 'bytes_limit' and 'bytes_in_use' on a GPU or TPU, None on a CPU).
    num_devices: devices in the mesh (the call's memory estimate counts all of them).
    given_gb: --memory_budget_gb, if given; it wins.

  Returns:
    Bytes: `given_gb`; else CPU_MEMORY_GB on a CPU; on an accelerator ACCELERATOR_SHARE of the least
    free memory among `devices`, times `num_devices` (CPU_MEMORY_GB, with a warning, where a device
    does not report its memory).
  """
  if given_gb is not None:
    return given_gb * 2**30
  if not is_accelerator(devices):
    return CPU_MEMORY_GB * 2**30
  free = []
  for device in devices:
    stats = device.memory_stats() or {}
    if 'bytes_limit' not in stats:
      logging.warning('%s does not report its memory; chunks fit %.1f GB (--memory_budget_gb).',
                      device, CPU_MEMORY_GB)
      return CPU_MEMORY_GB * 2**30
    free.append(stats['bytes_limit'] - stats.get('bytes_in_use', 0))
  return ACCELERATOR_SHARE * max(min(free), 0) * num_devices
