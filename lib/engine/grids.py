"""The standard grid: architectures x training-set sizes x seeds on one dataset, as engine groups."""

import math
from collections.abc import Callable

import numpy as np

from lib.data import Dataset, fixed_permutation, permute_positions
from lib.engine import experiment, protocols, training

SAMPLE_EFFICIENCY_GRIDS = {  # name -> ((sizes, number of seeds) on MNIST-1D, the same on image datasets)
    'default': (((50, 100, 200, 500, 1000, 4000), 3), ((100, 1000, 4000), 2)),
    'full': (((50, 100, 200, 500, 1000, 2000, 4000), 5),) * 2,
}


def sample_efficiency_grid(name: str, dataset: str,
                           num_train: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
  """`(sizes, seeds)` of a named sample-efficiency grid on a dataset.

  Args:
    name: a key of `SAMPLE_EFFICIENCY_GRIDS`.
    dataset: the dataset's spec: the paper's (MNIST-1D) grid or the image grid.
    num_train: the training-set size; grid sizes above it become it.

  Returns:
    The sorted distinct sizes, and the seeds `0..num_seeds-1`.
  """
  sizes, num_seeds = SAMPLE_EFFICIENCY_GRIDS[name][0 if protocols.is_paper(dataset) else 1]
  return tuple(sorted({min(n, num_train) for n in sizes})), tuple(range(num_seeds))


def arrays(data: Dataset, permutation_seed: int | None = None) -> dict[str, np.ndarray]:
  """`{'x_train', 'y_train', 'x_test', 'y_test'}` of a dataset, with one fixed permutation of its grid
  positions applied to train and test alike if `permutation_seed` is given."""
  x_train, x_test = data.x_train, data.x_test
  if permutation_seed is not None:
    perm = fixed_permutation(math.prod(data.grid), permutation_seed)
    x_train, x_test = permute_positions(x_train, perm), permute_positions(x_test, perm)
  return {'x_train': x_train, 'y_train': data.y_train, 'x_test': x_test, 'y_test': data.y_test}


def standard_groups(data: Dataset, dataset: str, archs, sizes, seeds,
                    train: training.TrainConfig | Callable[[str], training.TrainConfig],
                    method: str = 'auto', permuted: bool | None = None,
                    permutation_seed: int = 0) -> list[experiment.Group]:
  """One group per architecture: every (n, seed) of the grid.

  Args:
    data: the loaded dataset.
    dataset: its spec (picks the models, `lib.engine.protocols`).
    archs: architecture names.
    sizes: training-set sizes n.
    seeds: seeds.
    train: the protocol, or a function of the architecture giving its protocol.
    method: the factored contraction of every pattern layer.
    permuted: None for no permutation axis; else the runs carry `permuted` and, if True, train and test
      on one fixed permutation of the grid positions (`permutation_seed`).
    permutation_seed: the permutation's seed.

  Returns:
    The groups, architecture-major.

  Raises:
    ValueError: naming `sizes` for an n below the number of classes, or `archs` for an unknown
      architecture.
  """
  for n in sizes:
    if n < data.num_classes:
      raise ValueError(f'sizes: n={n} is below the {data.num_classes} classes of {dataset}: a '
                       'class-balanced subset needs at least one example per class')
  extra = {} if permuted is None else {'permuted': permuted}
  values = arrays(data, permutation_seed if permuted else None)
  return [experiment.Group(
      name=arch + (' permuted' if permuted else ''),
      model=protocols.model(arch, dataset, data.num_classes, method),
      train=train if isinstance(train, training.TrainConfig) else train(arch), data=values,
      runs=tuple({'arch': arch, 'n': n, 'seed': s, **extra} for n in sizes for s in seeds))
          for arch in archs]
