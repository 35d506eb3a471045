"""Translation as a data transform: placing, shifting (zero-filled or circular), seen/unseen shifts."""

import chex
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.data import place, shift, shift_grid, split_seen_unseen


def _explicit_zero_shift(image, dy, dx):
  """Shifts one `[H, W, C]` image by slicing, pixel by pixel, for reference."""
  out = np.zeros_like(image)
  height, width = image.shape[:2]
  for row in range(height):
    for col in range(width):
      if 0 <= row - dy < height and 0 <= col - dx < width:
        out[row, col] = image[row - dy, col - dx]
  return out


@settings(deadline=None, max_examples=30)
@given(shifts=st.lists(st.tuples(st.integers(-7, 7), st.integers(-7, 7)), min_size=1, max_size=4))
def test_image_shift_matches_explicit_slicing_and_never_wraps(shifts):
  x = np.random.default_rng(0).uniform(0.5, 1, (len(shifts), 5, 6, 2)).astype(np.float32)
  shifted = shift(x, np.array(shifts), circular=False)
  for image, out, (dy, dx) in zip(x, shifted, shifts):
    chex.assert_trees_all_equal(out, _explicit_zero_shift(image, dy, dx))
    stays_rows, stays_cols = np.arange(5) + dy, np.arange(6) + dx
    stays = image[(stays_rows >= 0) & (stays_rows < 5)][:, (stays_cols >= 0) & (stays_cols < 6)]
    np.testing.assert_allclose(out.sum(), stays.sum(), rtol=1e-5)  # what leaves does not come back


def test_one_shift_for_all_examples_and_shifts_beyond_the_grid():
  x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4, 1)
  chex.assert_trees_all_equal(shift(x, np.array([1, -2]), circular=False)[1],
                              _explicit_zero_shift(x[1], 1, -2))
  chex.assert_trees_all_equal(shift(x, np.array([0, 9]), circular=False), np.zeros_like(x))


@settings(deadline=None, max_examples=30)
@given(shifts=st.lists(st.integers(-50, 50), min_size=1, max_size=4))
def test_signal_shift_is_circular(shifts):
  x = np.random.default_rng(1).normal(size=(len(shifts), 40, 1))
  shifted = shift(x, np.array(shifts)[:, None], circular=True)
  for signal, out, k in zip(x, shifted, shifts):
    chex.assert_trees_all_equal(out, np.roll(signal, k, axis=0))


def test_shift_of_wrong_dimension_is_rejected():
  with pytest.raises(ValueError, match=r'shifts.shape=\(3,\)'):
    shift(np.zeros((2, 5, 5, 1)), np.zeros(3, int), circular=False)


def test_place_puts_each_image_where_asked():
  images = np.arange(1, 2 * 2 * 3 + 1, dtype=np.float32).reshape(2, 2, 3, 1)
  canvas = place(images, (5, 6), np.array([[0, 0], [3, 3]]))
  chex.assert_shape(canvas, (2, 5, 6, 1))
  chex.assert_trees_all_equal(canvas[0, :2, :3], images[0])
  chex.assert_trees_all_equal(canvas[1, 3:, 3:], images[1])
  np.testing.assert_allclose(canvas.sum(axis=(1, 2, 3)), images.sum(axis=(1, 2, 3)))


@pytest.mark.parametrize('offset', [[-1, 0], [0, 4], [4, 0]])
def test_place_off_the_canvas_is_rejected(offset):
  with pytest.raises(ValueError, match=rf'offsets=\[{offset[0]}, {offset[1]}\]'):
    place(np.ones((2, 2, 3, 1)), (5, 6), np.array([[0, 0], offset]))


@pytest.mark.parametrize('ndim', [1, 2])
def test_shift_grid_lists_every_shift_once(ndim):
  grid = shift_grid(2, ndim)
  chex.assert_shape(grid, (5**ndim, ndim))
  assert len(np.unique(grid, axis=0)) == 5**ndim
  assert np.abs(grid).max() == 2


@settings(deadline=None, max_examples=50)
@given(max_shift=st.integers(0, 6), ndim=st.integers(1, 2), radius=st.integers(0, 6),
       rule=st.sampled_from(['centre', 'left']))
def test_seen_and_unseen_are_disjoint_and_cover_the_grid(max_shift, ndim, radius, rule):
  grid = shift_grid(max_shift, ndim)
  seen, unseen = split_seen_unseen(grid, rule, radius)
  as_set = lambda shifts: {tuple(s) for s in shifts.tolist()}
  assert not as_set(seen) & as_set(unseen)
  assert as_set(seen) | as_set(unseen) == as_set(grid)
  assert len(seen) + len(unseen) == len(grid)
  if rule == 'centre':
    assert np.all(np.abs(seen) <= radius) and np.all(np.abs(unseen).max(axis=1) > radius)
  else:
    assert np.all(seen[:, -1] <= radius) and np.all(unseen[:, -1] > radius)


def test_left_rule_with_radius_zero_keeps_the_left_half_and_centre():
  seen, unseen = split_seen_unseen(shift_grid(1, 1), 'left', 0)
  np.testing.assert_array_equal(seen[:, 0], [-1, 0])
  np.testing.assert_array_equal(unseen[:, 0], [1])


def test_unknown_rule_is_rejected():
  with pytest.raises(ValueError, match="rule='right'"):
    split_seen_unseen(shift_grid(1, 2), 'right', 0)
