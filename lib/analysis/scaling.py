"""Sample complexity from accuracy curves, and log-log slopes with confidence intervals.

- `smallest_n`: the training-set size at which a curve of test accuracy against n first reaches a
  target, interpolated between the two grid points that bracket the crossing.
- `loglog_fit`: the least-squares line of log y against log x, its slope with a t interval.
- `slope_over_seeds`: one slope per seed, and the t interval of their mean.
- `effective_slope`: the slope of a predicted bound (e.g. k^2 d) over the sizes measured, fitted the
  same way as the measurements, so prediction and measurement are compared over the same range.
"""

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.stats


@dataclasses.dataclass(frozen=True)
class Crossing:
  """Where an accuracy curve reaches its target.

  Attributes:
    n: the interpolated training-set size, or None when no grid point reaches the target.
    censored: 'below' when the smallest grid size already reaches it (the true n is at most `n`),
      'above' when none does, else None.
  """
  n: float | None
  censored: str | None


def smallest_n(sizes: Sequence[float], accuracies: Sequence[float], target: float) -> Crossing:
  """The smallest n at which test accuracy reaches `target`.

  The first grid size whose accuracy is at least `target`; when a smaller grid size lies before it,
  log n is interpolated linearly in accuracy between the two.

  Args:
    sizes: increasing training-set sizes.
    accuracies: the accuracy at each size (NaN for a missing or diverged run: never reaches).
    target: the accuracy to reach.

  Returns:
    The crossing.
  """
  sizes, accuracies = np.asarray(sizes, float), np.asarray(accuracies, float)
  if sizes.ndim != 1 or sizes.shape != accuracies.shape:
    raise ValueError(f'sizes {sizes.shape} and accuracies {accuracies.shape} must be 1-D and equal')
  if np.any(np.diff(sizes) <= 0):
    raise ValueError(f'sizes={sizes.tolist()} must increase')
  reached = np.flatnonzero(np.nan_to_num(accuracies, nan=-np.inf) >= target)
  if reached.size == 0:
    return Crossing(None, 'above')
  i = int(reached[0])
  if i == 0:
    return Crossing(float(sizes[0]), 'below')
  a0, a1 = accuracies[i - 1], accuracies[i]
  fraction = 1.0 if not np.isfinite(a0) else (target - a0) / (a1 - a0)
  log_n = np.log(sizes[i - 1]) + fraction * (np.log(sizes[i]) - np.log(sizes[i - 1]))
  return Crossing(float(np.exp(log_n)), None)


@dataclasses.dataclass(frozen=True)
class Slope:
  """A fitted slope and its confidence interval.

  Attributes:
    slope: the estimate.
    low, high: the interval's ends (NaN when too few points or seeds to estimate one).
    count: the points (loglog_fit) or seeds (slope_over_seeds) it rests on.
  """
  slope: float
  low: float
  high: float
  count: int


def loglog_fit(x: Sequence[float], y: Sequence[float], confidence: float = 0.95) -> Slope:
  """Least squares of log y on log x; the slope's t interval from its standard error.

  Args:
    x: positive values.
    y: positive values, as many as x; at least 2 points.
    confidence: the interval's coverage.
  """
  x, y = np.asarray(x, float), np.asarray(y, float)
  if x.shape != y.shape or x.size < 2 or np.any(x <= 0) or np.any(y <= 0):
    raise ValueError(f'loglog_fit needs at least 2 positive (x, y) pairs, got x={x}, y={y}')
  log_x, log_y = np.log(x) - np.log(x).mean(), np.log(y) - np.log(y).mean()
  sxx = (log_x ** 2).sum()
  if sxx == 0:
    raise ValueError(f'loglog_fit needs at least 2 distinct x values, got x={x}')
  slope = float((log_x * log_y).sum() / sxx)
  if x.size < 3:
    return Slope(slope, np.nan, np.nan, x.size)
  stderr = np.sqrt(((log_y - slope * log_x) ** 2).sum() / (x.size - 2) / sxx)
  half = scipy.stats.t.ppf(0.5 + confidence / 2, x.size - 2) * stderr
  return Slope(slope, float(slope - half), float(slope + half), x.size)


def slope_over_seeds(per_seed: Mapping[int, tuple[Sequence[float], Sequence[float]]],
                     confidence: float = 0.95, min_points: int = 3) -> Slope:
  """The mean of one log-log slope per seed, with the t interval over seeds.

  Args:
    per_seed: `{seed: (sizes, values)}`; points whose value is None are left out.
    confidence: the interval's coverage.
    min_points: a seed with fewer usable points gives no slope.

  Returns:
    The mean slope; NaN everywhere when no seed has enough points; NaN interval for one seed.
  """
  slopes = []
  for sizes, values in per_seed.values():
    kept = [(s, v) for s, v in zip(sizes, values) if v is not None]
    if len(kept) >= min_points:
      slopes.append(loglog_fit(*zip(*kept)).slope)
  if not slopes:
    return Slope(np.nan, np.nan, np.nan, 0)
  mean = float(np.mean(slopes))
  if len(slopes) < 2:
    return Slope(mean, np.nan, np.nan, 1)
  half = (scipy.stats.t.ppf(0.5 + confidence / 2, len(slopes) - 1) * np.std(slopes, ddof=1)
          / np.sqrt(len(slopes)))
  return Slope(mean, mean - half, mean + half, len(slopes))


def effective_slope(bound: Callable[[float], float], sizes: Sequence[float]) -> float:
  """The log-log slope of `bound(size)` fitted over `sizes` (e.g. `lambda k: k * (k + 16)`)."""
  return loglog_fit(sizes, [bound(s) for s in sizes]).slope
