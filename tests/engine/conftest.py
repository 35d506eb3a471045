"""Shared fixtures for the engine tests: a small slice of MNIST-1D, and tiny images."""

import pytest

from lib.data import Dataset, load_dataset


@pytest.fixture(scope='session')
def small_data() -> Dataset:
  """MNIST-1D cut to 200 train and 100 test signals."""
  full = load_dataset('mnist1d')
  return Dataset('mnist1d[:200]', full.x_train[:200], full.y_train[:200], full.x_test[:100],
                 full.y_test[:100], full.num_classes)


@pytest.fixture(scope='session')
def tiny_images() -> Dataset:
  """Digits on a 10x10 canvas, cut to 100 train and 40 test images."""
  full = load_dataset('digits', canvas=10)
  return Dataset('digits[:100]', full.x_train[:100], full.y_train[:100], full.x_test[:40],
                 full.y_test[:40], full.num_classes)

