"""Datasets as host arrays, nested training subsets, position permutations and translations."""

from lib.data.dataset import Dataset, load_dataset
from lib.data.subsets import fixed_permutation, nested_balanced_subsets, permute_positions
from lib.data.tfds_reader import DatasetUnavailableError
from lib.data.translate import place, shift, shift_grid, split_seen_unseen

__all__ = [
    'Dataset',
    'DatasetUnavailableError',
    'fixed_permutation',
    'load_dataset',
    'nested_balanced_subsets',
    'permute_positions',
    'place',
    'shift',
    'shift_grid',
    'split_seen_unseen',
]
