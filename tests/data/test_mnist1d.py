"""MNIST-1D is generated locally, deterministically, without touching the global random state."""

import random

import chex
import numpy as np

from lib.data import load_dataset
from lib.data.mnist1d_reader import read_mnist1d


def test_shapes_dtypes_and_classes():
  data = load_dataset('mnist1d')
  chex.assert_shape(data.x_train, (4000, 40, 1))
  chex.assert_shape(data.x_test, (1000, 40, 1))
  chex.assert_shape(data.y_train, (4000,))
  chex.assert_shape(data.y_test, (1000,))
  chex.assert_type([data.x_train, data.x_test], np.float32)
  chex.assert_type([data.y_train, data.y_test], np.int32)
  assert data.num_classes == 10
  assert data.grid == (40,) and data.channels == 1
  np.testing.assert_array_equal(np.unique(data.y_train), np.arange(10))


def test_generation_is_deterministic_and_leaves_global_random_state_alone():
  read_mnist1d.cache_clear()
  np.random.seed(123)
  random.seed(123)
  numpy_before, python_before = np.random.get_state(), random.getstate()
  first = read_mnist1d()
  read_mnist1d.cache_clear()
  second = read_mnist1d()
  chex.assert_trees_all_equal(first, second)
  chex.assert_trees_all_equal(np.random.get_state(), numpy_before)
  assert random.getstate() == python_before


def test_cached_arrays_are_read_only():
  data = load_dataset('mnist1d')
  assert not data.x_train.flags.writeable
  assert load_dataset('mnist1d').x_train is data.x_train
