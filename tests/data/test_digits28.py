"""The digits at MNIST's shape: shapes, range, seeding, class balance, the digit inside its 20x20 box."""

import chex
import numpy as np

from lib.data import load_dataset
from lib.data.digits28_reader import read_digits28


def test_shapes_range_and_balance():
  data = load_dataset('digits28')
  chex.assert_shape(data.x_train, (5000, 28, 28, 1))
  chex.assert_shape(data.x_test, (5000, 28, 28, 1))
  assert 0 <= data.x_train.min() and data.x_train.max() <= 1
  counts = np.bincount(data.y_train, minlength=10)
  assert counts.min() > 0.7 * counts.mean()


def test_seeded_and_digits_are_placed_inside_the_canvas():
  first, again, other = read_digits28(50, 10), read_digits28(50, 10), read_digits28(50, 10, seed=1)
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a, b)
  assert not np.array_equal(first[0], other[0])
  ink = first[0][..., 0] > 0.3  # the digit, well above the noise (std 0.05)
  rows, cols = ink.any(axis=2), ink.any(axis=1)
  assert rows.sum(axis=1).max() <= 20 and cols.sum(axis=1).max() <= 20

