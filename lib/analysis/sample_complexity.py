"""The dimension_scaling experiment's analysis: the generated tasks at each size, the papers' predicted
slopes, and the smallest n reaching a target per size with its slope over seeds.

Two generated tasks (`lib.data.synthetic_lza`, `lib.data.synthetic_dsd`):
  lza    Li, Zhang and Arora 2021: x ~ N(0, I_2d), y = sign(|x_{1:d}|^2 - |x_{d+1:2d}|^2); sizes d.
         Predicted: any orthogonally equivariant learner (an FC net trained by SGD from a Gaussian
         start) needs Omega(d^2) samples (slope >= 2); a 2-layer CNN O(1) (slope 0).
  dsd_k  Lahoti et al. 2024: k patches of dimension d (fixed, --dsd_d), the signal y w* in one, noise
         sigma = sigma_0 / sqrt(k) (--sigma0: the theorems need sigma = O~(1/sqrt(k)); at fixed sigma
         the accuracy these models reach falls with k). Bounds for equivariant algorithms: FC
         Omega(sigma^2 k^2 d), LCN Omega(sigma^2 k d) and O~(sigma^2 k (k + d)), CNN O~(sigma^2 (k + d));
         with sigma^2 = sigma_0^2 / k their slopes in k are FC >= 1, LCN between 0 and that of (k + d),
         CNN at most that of (k + d) / k (negative).
  dsd_d  the same task, k fixed (--dsd_k), sizes d: FC, LCN slopes >= 1 (lower bounds), LCN and CNN at
         most that of (k + d) (upper bounds).
Predicted slopes of bounds with two terms are their log-log slopes fitted over the sizes measured.
"""

import dataclasses
import math

import numpy as np

from lib.analysis import scaling
from lib.engine.experiment import CONVERGED

TASKS = ('lza', 'dsd_k', 'dsd_d')


@dataclasses.dataclass(frozen=True)
class Tasks:
  """The generated tasks' settings.

  Attributes:
    sizes: `{task: sizes}` (sorted).
    n_train, n_test: examples generated (n_train: the largest n of the grid).
    dsd_d: dsd_k's patch dimension d.
    dsd_k: dsd_d's number of patches k.
    sigma0: dsd's noise is sigma0 / sqrt(k).
  """
  sizes: dict
  n_train: int
  n_test: int
  dsd_d: int
  dsd_k: int
  sigma0: float

  def params(self, task: str, size: int) -> dict:
    """The dataset at one size: `{'spec', 'k', 'd', 'sigma'}` (as applicable)."""
    common = f'n_train={self.n_train},n_test={self.n_test}'
    if task == 'lza':
      return {'spec': f'lza:d={size},{common}', 'd': size}
    k, d = (size, self.dsd_d) if task == 'dsd_k' else (self.dsd_k, size)
    sigma = self.sigma0 / math.sqrt(k)
    return {'spec': f'dsd:k={k},d={d},sigma={sigma:.6g},{common}', 'k': k, 'd': d, 'sigma': sigma}

  def predicted(self, task: str, family: str) -> dict:
    """`{'lower': slope or None, 'upper': slope or None}` of the papers' bounds over the sizes."""
    if task == 'lza':
      return {'fc': {'lower': 2.0, 'upper': None}, 'cnn': {'lower': None, 'upper': 0.0}}.get(
          family, {'lower': None, 'upper': None})
    sizes = self.sizes[task]
    params = [self.params(task, s) for s in sizes]
    bounds = {  # sigma^2 times each family's rates
        'fc': (lambda p: p['k'] ** 2 * p['d'], None),
        'lcn': (lambda p: p['k'] * p['d'], lambda p: p['k'] * (p['k'] + p['d'])),
        'cnn': (None, lambda p: p['k'] + p['d']),
    }.get(family, (None, None))
    slope = lambda bound: None if bound is None else scaling.loglog_fit(
        sizes, [p['sigma'] ** 2 * bound(p) for p in params]).slope
    return {'lower': slope(bounds[0]), 'upper': slope(bounds[1])}


def _per_size(crossings: dict, index: int, size: int) -> dict:
  ns = [c[index].n for c in crossings.values() if c[index].n is not None]
  return {'size': size, 'median': float(np.median(ns)) if ns else None,
          'low': min(ns) if ns else None, 'high': max(ns) if ns else None,
          'not_reached': sum(c[index].n is None for c in crossings.values()),
          'at_smallest_n': sum(c[index].censored == 'below' for c in crossings.values())}


def analyse(records: list[dict], tasks: Tasks, task_list, sizes_n, seeds, target_of: dict) -> dict:
  """Per (task, arch): crossings per size and seed, their spread, the slope over seeds, and how many
  runs stayed below the engine's train accuracy threshold (with the lowest train accuracy)."""
  acc = {(r['task'], r['arch'], r['size'], r['n'], r['seed']): r['test_accuracy'] for r in records}
  out = {}
  for task in task_list:
    task_sizes = tasks.sizes[task]
    for arch in dict.fromkeys(r['arch'] for r in records if r['task'] == task):
      crossings = {seed: [scaling.smallest_n(sizes_n, [
          np.nan if acc.get((task, arch, s, n, seed)) is None else acc[(task, arch, s, n, seed)]
          for n in sizes_n], target_of[task]) for s in task_sizes] for seed in seeds}
      fit = scaling.slope_over_seeds({seed: (task_sizes, [x.n for x in c])
                                      for seed, c in crossings.items()})
      mine = [r for r in records if r['task'] == task and r['arch'] == arch and not r['diverged']]
      out[f'{task} {arch}'] = {
          'task': task, 'arch': arch, 'target': target_of[task],
          'per_size': [_per_size(crossings, i, s) for i, s in enumerate(task_sizes)],
          'slope': [fit.slope, fit.low, fit.high], 'seeds_fitted': fit.count,
          'predicted': tasks.predicted(task, arch.split('_', 1)[1]),
          'runs': len(mine), 'unconverged': sum(r['train_accuracy'] < CONVERGED for r in mine),
          'lowest_train_accuracy': min((r['train_accuracy'] for r in mine), default=None)}
  return out
