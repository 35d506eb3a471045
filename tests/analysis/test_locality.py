"""Locality and tying scores: 1 for a convolution's dense equivalent, low for random rows."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib.analysis import locality
from lib.core import contraction, patterns


def _conv_rows(grid=40, kernel=5, channels=3, seed=0):
  """The rows of a convolution's dense-equivalent matrix: `[N_out * C_out, grid, 1]`."""
  pattern = patterns.convolution((grid,), kernel, padding='SAME')
  theta = np.random.default_rng(seed).normal(size=(kernel, 1, channels)).astype(np.float32)
  w = np.asarray(contraction.dense_matrix(pattern, jnp.asarray(theta)))  # [grid, grid * channels]
  return locality.unit_rows(w, (grid,))


@pytest.fixture(scope='module')
def random_rows():
  return np.random.default_rng(1).normal(size=(120, 40, 1)).astype(np.float32)


@pytest.fixture(scope='module')
def scores(random_rows):
  fn = jax.jit(lambda rows: (locality.locality_score(rows, (5,)), locality.tying_score(rows, (5,))))
  return {'conv': fn(_conv_rows()), 'random': fn(random_rows)}


def test_a_convolution_is_local_and_tied(scores):
  local, tied = scores['conv']
  np.testing.assert_allclose(local, 1.0, atol=1e-6)
  interior = np.asarray(tied).reshape(40, 3)[3:-3]  # [positions, channels], away from the border
  np.testing.assert_allclose(interior, 1.0, atol=1e-5)


def test_random_rows_are_neither(scores, random_rows):
  local, tied = scores['random']
  # numpy's locality: the energy of each row's best window of 5 positions over the row's energy.
  energy = random_rows[..., 0].astype(np.float64) ** 2
  best = np.lib.stride_tricks.sliding_window_view(energy, 5, axis=1).sum(-1).max(-1)
  np.testing.assert_allclose(local, best / energy.sum(-1), rtol=1e-5)
  assert 5 / 40 < float(local.mean()) < 0.4
  assert float(tied.mean()) < 0.6


def test_locality_of_spread_and_concentrated_rows():
  rows = np.zeros((2, 20, 2), np.float32)
  rows[0] = 1.0  # uniform over every position
  rows[1, 7:10] = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0]])
  scores, (start, patch) = jax.jit(lambda r: (locality.locality_score(r, (4,)),
                                               locality.best_windows(r[1:], (4,))))(rows)
  np.testing.assert_allclose(scores, [4 / 20, 1.0], atol=1e-6)
  assert int(start[0, 0]) in (6, 7)
  np.testing.assert_allclose(np.asarray(patch).sum(), rows[1].sum(), atol=1e-6)


def test_locality_on_a_2d_grid():
  rows = np.zeros((1, 6, 6, 1), np.float32)
  rows[0, 2:4, 3:5] = 1.0
  rows[0, 0, 0] = 1.0
  assert float(locality.locality_score(jnp.asarray(rows), (2, 2))[0]) == pytest.approx(0.8)


def test_unit_rows_reads_a_flattened_dense_kernel():
  kernel = np.arange(12 * 4, dtype=np.float32).reshape(6 * 2, 4)  # [N_in * C_in, units]
  rows = locality.unit_rows(jnp.asarray(kernel), (6,))
  assert rows.shape == (4, 6, 2)
  assert float(rows[3, 5, 1]) == kernel[11, 3]


def test_bad_window_is_refused():
  with pytest.raises(ValueError, match='window=\\(50,\\)'):
    locality.locality_score(jnp.ones((2, 40, 1)), (50,))
