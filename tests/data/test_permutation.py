"""One fixed permutation of grid positions, applied alike to train and test."""

import chex
import numpy as np
import pytest

from lib.data import fixed_permutation, permute_positions


def test_fixed_permutation_is_a_seeded_permutation():
  perm = fixed_permutation(40, seed=1)
  np.testing.assert_array_equal(np.sort(perm), np.arange(40))
  np.testing.assert_array_equal(perm, fixed_permutation(40, seed=1))
  assert not np.array_equal(perm, fixed_permutation(40, seed=2))


@pytest.mark.parametrize('shape', [(3, 40, 1), (2, 4, 5, 3)])
def test_permutation_moves_positions_with_their_channels_and_inverts(shape):
  x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
  n, channels = shape[0], shape[-1]
  perm = fixed_permutation(int(np.prod(shape[1:-1])), seed=0)
  permuted = permute_positions(x, perm)
  chex.assert_shape(permuted, shape)
  flat, flat_permuted = x.reshape(n, -1, channels), permuted.reshape(n, -1, channels)
  for i, source in enumerate(perm):
    chex.assert_trees_all_equal(flat_permuted[:, i], flat[:, source])
  chex.assert_trees_all_equal(permute_positions(permuted, np.argsort(perm)), x)


def test_train_and_test_get_the_same_permutation():
  x_train = np.random.default_rng(1).normal(size=(5, 6, 6, 1))
  x_test = x_train[:2].copy()
  perm = fixed_permutation(36, seed=7)
  chex.assert_trees_all_equal(permute_positions(x_train, perm)[:2], permute_positions(x_test, perm))


def test_wrong_length_permutation_is_rejected():
  with pytest.raises(ValueError, match=r'range\(40\)'):
    permute_positions(np.zeros((2, 40, 1)), np.arange(39))
