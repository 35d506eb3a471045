"""Shared fixture for the engine tests: a small slice of MNIST-1D."""

import pytest

from lib.data import Dataset, load_dataset


@pytest.fixture(scope='session')
def small_data() -> Dataset:
  """MNIST-1D cut to 200 train and 100 test signals."""
  full = load_dataset('mnist1d')
  return Dataset('mnist1d[:200]', full.x_train[:200], full.y_train[:200], full.x_test[:100],
                 full.y_test[:100], full.num_classes)
