"""Li, Zhang and Arora's task: shapes, seeding, exact balance, and the label where the paper puts it."""

import chex
import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st

from lib.data import load_dataset, synthetic_lza


@hypothesis.settings(max_examples=10, deadline=None)
@hypothesis.given(d=st.integers(1, 12), n_train=st.integers(2, 41), n_test=st.integers(2, 9))
def test_shapes_and_exact_balance(d, n_train, n_test):
  data = load_dataset(f'lza:d={d},n_train={n_train},n_test={n_test}')
  chex.assert_shape(data.x_train, (n_train, 2 * d, 1))
  chex.assert_shape(data.x_test, (n_test, 2 * d, 1))
  assert data.num_classes == 2
  for y in (data.y_train, data.y_test):
    assert abs(int((y == 1).sum()) - int((y == 0).sum())) <= 1


def test_seed_fixes_the_arrays_and_the_test_set_ignores_n_train():
  a = load_dataset('lza:d=4,n_train=50,n_test=20,seed=3')
  b = load_dataset('lza:d=4,n_train=50,n_test=20,seed=3')
  c = load_dataset('lza:d=4,n_train=80,n_test=20,seed=3')
  other = load_dataset('lza:d=4,n_train=50,n_test=20,seed=4')
  np.testing.assert_array_equal(a.x_train, b.x_train)
  np.testing.assert_array_equal(a.x_test, c.x_test)
  assert not np.allclose(a.x_train, other.x_train)


def test_label_is_the_sign_of_the_difference_of_half_norms():
  data = load_dataset('lza:d=6,n_train=500,n_test=10')
  first = (data.x_train[:, :6, 0] ** 2).sum(1)
  second = (data.x_train[:, 6:, 0] ** 2).sum(1)
  np.testing.assert_array_equal(data.y_train, (first > second).astype(np.int32))


def test_inputs_stay_standard_gaussian_and_classes_differ_only_by_which_half_is_larger():
  data = load_dataset('lza:d=8,n_train=8000,n_test=10')
  x = data.x_train[..., 0]
  np.testing.assert_allclose(x.mean(0), 0, atol=0.05)
  np.testing.assert_allclose(x.var(0), 1, atol=0.06)
  positive = x[data.y_train == 1]
  # Given y = +1 the first half carries more energy; the second moments mirror between classes.
  assert (positive[:, :8] ** 2).mean() > 1.15 > 0.85 > (positive[:, 8:] ** 2).mean()
  negative = x[data.y_train == 0]
  np.testing.assert_allclose((negative[:, 8:] ** 2).mean(), (positive[:, :8] ** 2).mean(), rtol=0.05)


@pytest.mark.parametrize('spec, message', [
    ('lza', 'parameter d is required'), ('lza:d=0', 'd=0 must be at least 1'),
    ('lza:d=4,q=1', "'q=1' is not key=value"), ('lza:d=x', "d='x' is not a int"),
    ('lza:d=4,n_train=1', 'n_train=1 must be at least 2'), ('lza:d=4,d=5', 'd is given twice')])
def test_bad_specs_name_the_parameter(spec, message):
  with pytest.raises(ValueError, match=message):
    load_dataset(spec)


def test_label_of_matches_a_direct_computation():
  x = np.array([[[3.], [0.], [1.], [1.]], [[0.], [1.], [2.], [0.]]])
  np.testing.assert_array_equal(synthetic_lza.label_of(x), [1, -1])
