"""The run axis over devices: one Mesh axis 'runs', run arrays sharded on it, data replicated.

Single host: the mesh holds every local device. Multi-host (after `jax.distributed.initialize()`, see
`experiments.device_flags`): it holds every device of every process; each process builds the same
host arrays (the plan is deterministic) and contributes the shards that live on its own devices.
"""

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = 'runs'


def run_mesh() -> Mesh:
  """A 1-D mesh named 'runs' over all devices (`jax.devices()`)."""
  return Mesh(np.array(jax.devices()), (AXIS,))


def padded_size(num_runs: int, mesh: Mesh) -> int:
  """`num_runs` rounded up to a multiple of the mesh's device count."""
  devices = mesh.devices.size
  return -(-num_runs // devices) * devices


def pad_runs(array: np.ndarray, size: int) -> np.ndarray:
  """Pads the leading (run) axis of `array` to `size` by repeating its last entry.

  Args:
    array: `[runs, ...]`, runs >= 1.
    size: the padded length, >= runs.

  Returns:
    `[size, ...]`; the padding rows are copies of the last run and are discarded after training.
  """
  extra = size - array.shape[0]
  if extra < 0:
    raise ValueError(f'size={size}: smaller than the {array.shape[0]} runs given')
  return np.concatenate([array, np.repeat(array[-1:], extra, axis=0)]) if extra else array


def shard_runs(array: np.ndarray, mesh: Mesh) -> jax.Array:
  """Places a host array `[runs, ...]` (runs a multiple of the device count) split over 'runs'."""
  sharding = NamedSharding(mesh, PartitionSpec(AXIS))
  return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])


def replicate(array: np.ndarray, mesh: Mesh) -> jax.Array:
  """Places a host array whole on every device of the mesh."""
  sharding = NamedSharding(mesh, PartitionSpec())
  return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])


def to_host(tree):
  """Brings a pytree of (possibly multi-process) arrays to host numpy, whole, on every process."""
  if jax.process_count() > 1:
    return multihost_utils.process_allgather(tree, tiled=True)
  return jax.tree.map(np.asarray, tree)
