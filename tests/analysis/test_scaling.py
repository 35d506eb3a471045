"""Crossings of accuracy curves, and log-log slopes with intervals."""

import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st

from lib.analysis import scaling


def test_crossing_interpolates_log_n_between_the_bracketing_points():
  crossing = scaling.smallest_n([10, 100, 1000], [0.5, 0.7, 0.9], target=0.8)
  assert crossing.censored is None
  np.testing.assert_allclose(crossing.n, np.sqrt(100 * 1000))


def test_crossing_at_a_grid_point_and_censored_ends():
  assert scaling.smallest_n([10, 100], [0.5, 0.8], 0.8).n == pytest.approx(100)
  assert scaling.smallest_n([10, 100], [0.9, 0.95], 0.8) == scaling.Crossing(10.0, 'below')
  assert scaling.smallest_n([10, 100], [0.5, 0.6], 0.8) == scaling.Crossing(None, 'above')
  assert scaling.smallest_n([10, 100], [np.nan, np.nan], 0.8).censored == 'above'


def test_crossing_rejects_unsorted_sizes():
  with pytest.raises(ValueError, match='must increase'):
    scaling.smallest_n([100, 10], [0.5, 0.9], 0.8)


@hypothesis.settings(max_examples=20, deadline=None)
@hypothesis.given(slope=st.floats(-3, 3), scale=st.floats(0.1, 10))
def test_fit_recovers_an_exact_power_law(slope, scale):
  x = np.array([2.0, 4, 8, 16, 32])
  fit = scaling.loglog_fit(x, scale * x ** slope)
  np.testing.assert_allclose(fit.slope, slope, atol=1e-9)
  assert fit.low <= fit.slope <= fit.high


def test_interval_covers_the_true_slope_about_as_often_as_it_claims():
  rng = np.random.default_rng(0)
  x = np.array([1.0, 2, 4, 8, 16, 32])
  covered = 0
  for _ in range(400):
    fit = scaling.loglog_fit(x, 3 * x ** 1.5 * np.exp(0.2 * rng.standard_normal(x.size)))
    covered += fit.low <= 1.5 <= fit.high
  assert 0.91 <= covered / 400 <= 0.98


def test_slope_over_seeds_skips_missing_points_and_short_seeds():
  sizes = [2, 4, 8, 16]
  per_seed = {0: (sizes, [s ** 2 for s in sizes]), 1: (sizes, [None, 16.5, 64, 250]),
              2: (sizes, [None, None, None, 3])}
  fit = scaling.slope_over_seeds(per_seed)
  assert fit.count == 2
  assert fit.low < 2 < fit.high
  assert np.isnan(scaling.slope_over_seeds({0: (sizes, [None] * 4)}).slope)


def test_effective_slope_of_a_bound_lies_between_its_regimes():
  sizes = [2, 4, 8, 16, 32]
  assert scaling.effective_slope(lambda k: k * k, sizes) == pytest.approx(2)
  assert 1 < scaling.effective_slope(lambda k: k * (k + 16), sizes) < 2
