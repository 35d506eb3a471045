"""Nested, class-balanced, seeded training subsets."""

import chex
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.data import nested_balanced_subsets

LABELS = np.repeat(np.arange(5), [40, 30, 25, 15, 10])[np.random.default_rng(0).permutation(120)]


@settings(deadline=None, max_examples=50)
@given(sizes=st.lists(st.integers(5, 120), min_size=1, max_size=6, unique=True),
       seed=st.integers(0, 2**31))
def test_subsets_are_nested_and_balanced(sizes, seed):
  subsets = nested_balanced_subsets(LABELS, sizes, seed)
  ordered = sorted(sizes)
  for small, large in zip(ordered, ordered[1:]):
    assert np.isin(subsets[small], subsets[large]).all()
  for size in sizes:
    chex.assert_shape(subsets[size], (size,))
    assert len(np.unique(subsets[size])) == size
    counts = np.bincount(LABELS[subsets[size]], minlength=5)
    left = counts < np.bincount(LABELS)  # classes that did not run out of examples
    if left.any():  # as balanced as possible: classes that ran out never hold more than the rest
      assert counts[left].max() - counts[left].min() <= 1, counts
      assert np.all(counts[~left] <= counts[left].min() + 1), counts


def test_short_class_is_filled_from_the_others():
  labels = np.array([0] * 2 + [1] * 10 + [2] * 10)
  subset = nested_balanced_subsets(labels, [15], seed=0)[15]
  np.testing.assert_array_equal(np.sort(np.bincount(labels[subset])), [2, 6, 7])


def test_same_seed_same_subsets_other_seed_other_subsets():
  first = nested_balanced_subsets(LABELS, [10, 50], seed=3)
  chex.assert_trees_all_equal(first, nested_balanced_subsets(LABELS, [10, 50], seed=3))
  assert not np.array_equal(first[50], nested_balanced_subsets(LABELS, [50], seed=4)[50])


@pytest.mark.parametrize('size', [4, 121])
def test_size_outside_range_is_rejected(size):
  with pytest.raises(ValueError, match=f'size={size}'):
    nested_balanced_subsets(LABELS, [10, size], seed=0)
