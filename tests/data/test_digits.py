"""scikit-learn digits, centred on a zero canvas, with a fixed stratified split."""

import chex
import numpy as np
import pytest
import sklearn.datasets

from lib.data import load_dataset


@pytest.mark.parametrize('canvas', [8, 13, 24])
def test_digits_are_centred_on_the_canvas(canvas):
  data = load_dataset('digits', canvas=canvas)
  chex.assert_shape(data.x_train, (1347, canvas, canvas, 1))
  chex.assert_shape(data.x_test, (450, canvas, canvas, 1))
  assert data.num_classes == 10
  x = np.concatenate([data.x_train, data.x_test])
  start = (canvas - 8) // 2
  inside = x[:, start:start + 8, start:start + 8]
  np.testing.assert_allclose(x.sum(), inside.sum(), rtol=1e-6)
  reference = np.sort(sklearn.datasets.load_digits().images.reshape(-1) / 16)
  np.testing.assert_allclose(np.sort(inside.reshape(-1)), reference, rtol=1e-6)


def test_values_in_unit_interval_and_split_is_fixed_and_stratified():
  first, second = load_dataset('digits'), load_dataset('digits')
  assert first.x_train.min() == 0 and first.x_train.max() == 1
  chex.assert_trees_all_equal((first.x_train, first.y_test), (second.x_train, second.y_test))
  fractions = np.bincount(first.y_test) / np.bincount(np.concatenate([first.y_train, first.y_test]))
  np.testing.assert_allclose(fractions, 0.25, atol=0.02)


def test_canvas_smaller_than_a_digit_is_rejected():
  with pytest.raises(ValueError, match='canvas=7'):
    load_dataset('digits', canvas=7)
