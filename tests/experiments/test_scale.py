"""The scale benchmark's MNIST-shaped npz is `--dataset=digits28`, read back through `npz:PATH`."""

import numpy as np

from lib.data import load_dataset
from launch_helper import launch


def test_written_npz_loads_as_the_digits28_arrays(tmp_path):
  path = tmp_path / 'digits28.npz'
  done = launch('scale', f'--write_npz={path}')
  assert done.returncode == 0, done.stderr[-3000:]
  written, generated = load_dataset(f'npz:{path}'), load_dataset('digits28')
  for name in ('x_train', 'y_train', 'x_test', 'y_test'):
    np.testing.assert_array_equal(getattr(written, name), getattr(generated, name))
  assert written.num_classes == generated.num_classes == 10
