"""Spec dispatch and the Dataset container."""

import numpy as np
import pytest

from lib.data import Dataset, load_dataset


@pytest.mark.parametrize('spec', ['mnist', 'mnist1d:x', 'tfds', 'tfds:', 'tfds:a:b:c', 'npz:', 'csv:f'])
def test_unknown_spec_names_it_and_lists_the_kinds(spec):
  with pytest.raises(ValueError, match=f"spec='{spec}'.*mnist1d, digits, digits28, tfds:NAME"):
    load_dataset(spec)


def test_grid_and_channels():
  x = np.zeros((3, 5, 6, 2), np.float32)
  y = np.zeros(3, np.int32)
  data = Dataset('toy', x, y, x, y, num_classes=1)
  assert data.grid == (5, 6)
  assert data.channels == 2


def test_labels_beyond_num_classes_are_rejected():
  x = np.zeros((3, 4, 1), np.float32)
  y = np.array([0, 1, 2], np.int32)
  with pytest.raises(ValueError, match='num_classes=2'):
    Dataset('toy', x, y, x, y, num_classes=2)


def test_wrong_dtype_is_rejected():
  x = np.zeros((3, 4, 1))
  y = np.zeros(3, np.int32)
  with pytest.raises(AssertionError, match='float32'):
    Dataset('toy', x, y, x, y, num_classes=1)
