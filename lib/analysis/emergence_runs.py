"""The runs of the emergence experiment (`experiments/emergence.py`) as engine groups.

Each (first layer, input kind, gain) is one group of seeds: a committee (`lib.core.committee`)
trained by online SGD on fresh examples drawn inside the compiled program
(`lib.data.gaussian_fields`), with a fixed 'train'-metric sample and test set drawn once from keys
no run trains on, and the mean IPR and locality score of its first-layer rows tracked along
training.
"""

from collections.abc import Sequence

import jax
import numpy as np

from lib.analysis import locality, participation
from lib.core import committee
from lib.data import gaussian_fields
from lib.engine import experiment, training

NUM_TEST, NUM_TRAIN_METRIC = 10_000, 2_000


def tracker(family: str, in_shape: tuple[int, int], hidden: int, kernel_size: int, window: int):
  """`track(params) -> {'ipr', 'locality'}`: means over the hidden units' first-layer rows."""

  def track(params):
    rows = committee.dense_rows(family, params, in_shape, hidden, kernel_size)
    return {'ipr': participation.ipr(rows).mean(),
            'locality': locality.locality_score(participation.centred(rows), (window,)).mean()}

  return track


def task_arrays(kind: str, grid: tuple[int], xis: Sequence[float], gain: float) -> dict:
  """`{x_train [2000, D], y_train, x_test [10000, D], y_test}`: the metric sample and test set."""
  filters = gaussian_fields.class_filters(kind, grid, xis, gain)
  draw = lambda key, num: gaussian_fields.draw_jitted(key, num, kind, grid, filters, gain)
  x_train, y_train = draw(jax.random.PRNGKey(2**30), NUM_TRAIN_METRIC)
  x_test, y_test = draw(jax.random.PRNGKey(2**30 + 1), NUM_TEST)
  return {k: np.asarray(v) for k, v in
          dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test).items()}


def groups(archs: Sequence[str], kinds: Sequence[str], gains: Sequence[float],
           xis: Sequence[float], seeds: Sequence[int], size: int, train: training.TrainConfig, *,
           hidden: int, kernel_size: int, window: int, rate: float) -> list[experiment.Group]:
  """fc at every (kind, gain); lcn and cnn at the largest gain; fc's final rows kept for figures.

  Args:
    archs, kinds: first layers (`committee.FAMILIES`) and input kinds (`gaussian_fields.KINDS`).
    gains: sorted NLGP gains; xis: each class's correlation length; seeds: one run each.
    size: D, the input's positions; train: the online protocol (batch 1, `steps` = time x D).
    hidden, kernel_size, window, rate: K, the lcn/cnn taps, the locality window, the SGD rate.
  """
  grid, in_shape = (size,), (size, 1)
  out = []
  for arch in archs:
    model = committee.committee(arch, hidden, kernel_size)
    optimizer = committee.sgd(arch, in_shape, kernel_size, hidden, rate)
    evaluate = ((lambda p, d: {'rows': committee.dense_rows(
                      'fc', p, in_shape, hidden, kernel_size)[..., 0]})
                if arch == 'fc' else None)
    for kind in kinds:
      for gain in (gains if arch == 'fc' else gains[-1:]):
        out.append(experiment.Group(
            name=f'{arch} {kind} gain={gain:g}', model=model, train=train,
            data=task_arrays(kind, grid, xis, gain), optimizer=optimizer,
            init=lambda key, shape, m=model: m.init(key, shape)[1], evaluate=evaluate,
            sample=gaussian_fields.make_sampler(kind, grid, xis, gain), loss=committee.mse,
            track=tracker(arch, in_shape, hidden, kernel_size, window),
            runs=tuple({'arch': arch, 'kind': kind, 'gain': gain, 'n': NUM_TRAIN_METRIC,
                        'seed': s} for s in seeds)))
  return out


def baseline(size: int, window: int, units: int = 512) -> dict[str, float]:
  """IPR and locality score of the fc committee's initial weights (i.i.d. Gaussian rows of D)."""
  rows = committee.INIT_STD * jax.random.normal(jax.random.PRNGKey(0), (units, size, 1))
  return {'ipr': float(participation.ipr(rows).mean()),
          'locality': float(locality.locality_score(participation.centred(rows), (window,)).mean())}
