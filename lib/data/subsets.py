"""Nested class-balanced training subsets, and one fixed permutation of grid positions."""

from collections.abc import Sequence

import numpy as np


def nested_balanced_subsets(labels: np.ndarray, sizes: Sequence[int],
                            seed: int) -> dict[int, np.ndarray]:
  """Draws class-balanced subsets, each contained in every larger one.

  All examples are ranked once: within each class by a seeded permutation, then round-robin over the
  classes (in a seeded class order). The subset of size n is the first n of that ranking, so each class
  gets n // num_classes or one more, and a class that runs out leaves its share to the others.

  Args:
    labels: `[num_examples]` int class labels.
    sizes: subset sizes, each between the number of classes and `num_examples`.
    seed: picks the ranking; the same seed gives the same subsets.

  Returns:
    `{size: [size] int indices into labels, ascending}` for each size.
  """
  labels = np.asarray(labels)
  classes, class_of = np.unique(labels, return_inverse=True)
  for size in sizes:
    if not len(classes) <= size <= len(labels):
      raise ValueError(f'sizes must lie in [{len(classes)}, {len(labels)}] (number of classes, number '
                       f'of examples), got size={size}')
  rng = np.random.default_rng(seed)
  by_class = rng.permutation(len(labels))
  by_class = by_class[np.argsort(class_of[by_class], kind='stable')]
  counts = np.bincount(class_of)
  rank = np.empty(len(labels), dtype=int)
  rank[by_class] = np.arange(len(labels)) - np.repeat(np.cumsum(counts) - counts, counts)
  class_turn = rng.permutation(len(classes))
  order = np.argsort(rank * len(classes) + class_turn[class_of])
  return {size: np.sort(order[:size]) for size in sizes}


def fixed_permutation(num_positions: int, seed: int) -> np.ndarray:
  """Draws one permutation of grid positions.

  Args:
    num_positions: the number of grid positions, `prod(grid)`.
    seed: picks the permutation.

  Returns:
    `[num_positions]` int, a permutation of `range(num_positions)`.
  """
  return np.random.default_rng(seed).permutation(num_positions)


def permute_positions(x: np.ndarray, perm: np.ndarray) -> np.ndarray:
  """Reorders the grid positions of every example by one permutation; channels move together.

  Args:
    x: `[n, *grid, channels]` examples.
    perm: `[prod(grid)]` int permutation of the flattened positions: output position i takes input
      position `perm[i]`.

  Returns:
    `[n, *grid, channels]`, the permuted examples.
  """
  n, *grid, channels = x.shape
  num_positions = int(np.prod(grid))
  if not np.array_equal(np.sort(perm), np.arange(num_positions)):
    raise ValueError(f'perm must be a permutation of range({num_positions}) for x.shape={x.shape}, '
                     f'got perm with shape {np.shape(perm)}')
  return x.reshape(n, num_positions, channels)[:, perm].reshape(x.shape)
