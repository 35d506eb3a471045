"""MNIST-1D (Greydanus and Kobak), generated locally: nothing downloads."""

import functools
import random

import mnist1d.data
import numpy as np

NUM_CLASSES = 10


@functools.lru_cache(maxsize=1)
def read_mnist1d() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
  """Generates the standard MNIST-1D split, identical to the published frozen file.

  The generator reseeds Python's and NumPy's global random number generators; their states are restored
  afterwards, so calling this has no side effects. The result is cached, and its arrays are read-only.

  Returns:
    `(x_train [4000, 40, 1] float32, y_train [4000] int32, x_test [1000, 40, 1] float32,
    y_test [1000] int32, num_classes)`.
  """
  python_state, numpy_state = random.getstate(), np.random.get_state()
  try:
    data = mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())
  finally:
    random.setstate(python_state)
    np.random.set_state(numpy_state)
  arrays = (data['x'][..., None].astype(np.float32), data['y'].astype(np.int32),
            data['x_test'][..., None].astype(np.float32), data['y_test'].astype(np.int32))
  for array in arrays:
    array.setflags(write=False)
  return (*arrays, NUM_CLASSES)
