"""Checks a dataset's arrays when it is loaded, before anything compiles: finite inputs, sound labels."""

import numpy as np


def validate_arrays(spec: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                    y_test: np.ndarray, num_classes: int, *, allow_unused_classes: bool = False) -> None:
  """Refuses data that would train silently wrong, with a ValueError naming `spec`.

  Checks that both splits hold examples with only finite inputs; that labels are integers in
  `[0, num_classes)`; that there are at least two classes; and that every class has training examples.
  A class seen only in the test set is always refused.

  Args:
    spec: the dataset spec (`--dataset`), named in every message.
    x_train: `[n_train, *grid, channels]` inputs.
    y_train: `[n_train]` labels.
    x_test: `[n_test, *grid, channels]` inputs.
    y_test: `[n_test]` labels.
    num_classes: the number of classes the model will predict.
    allow_unused_classes: accept classes of `[0, num_classes)` that appear in neither split (for
      `num_classes` declared by the dataset's metadata: TFDS's `emnist/letters` declares 37 classes
      and uses 26).

  Raises:
    ValueError: for the first check that fails, naming the array and the offending values.
  """
  prefix = f'dataset={spec!r}:'
  for key, x in (('x_train', x_train), ('x_test', x_test)):
    if len(x) == 0:
      raise ValueError(f'{prefix} {key} holds no examples')
    bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
    if bad.size:
      raise ValueError(f'{prefix} {key} holds non-finite values (NaN or infinity) in {bad.size} of '
                       f'{len(x)} examples (the first at indices {bad[:5].tolist()}); clean or drop them '
                       f'before training')
  if num_classes < 2:
    raise ValueError(f'{prefix} a classifier needs at least two classes, got num_classes={num_classes}')
  for key, y in (('y_train', y_train), ('y_test', y_test)):
    if not np.issubdtype(y.dtype, np.integer):
      raise ValueError(f'{prefix} {key} must hold integer labels, got {key}.dtype={y.dtype}')
    outside = (y < 0) | (y >= num_classes)
    if outside.any():
      raise ValueError(f'{prefix} {key} holds labels {_ranges(y[outside])} outside the classes '
                       f'{_ranges(np.arange(num_classes))} (num_classes={num_classes}), in '
                       f'{int(outside.sum())} examples')
  trained = np.unique(y_train)
  test_only = np.setdiff1d(y_test, trained)
  if test_only.size:
    raise ValueError(f'{prefix} classes {_ranges(test_only)} appear in y_test but never in y_train '
                     f'(classes in y_train: {_ranges(trained)}); a model cannot learn them')
  if trained.size < 2:
    raise ValueError(f'{prefix} y_train holds a single class ({_ranges(trained)}); a classifier needs '
                     f'at least two')
  missing = np.setdiff1d(np.arange(num_classes), trained)
  if missing.size and not allow_unused_classes:
    raise ValueError(f'{prefix} classes {_ranges(missing)} of num_classes={num_classes} have no training '
                     f'example (labels in y_train: {_ranges(trained)}); labels must be the classes '
                     f'0..K-1, each with training examples')


def _ranges(values: np.ndarray) -> str:
  """Distinct integers as runs: `[0, 1, 2, 5, 7, 8]` -> `'0-2, 5, 7-8'`."""
  values = np.unique(values)
  breaks = np.flatnonzero(np.diff(values) != 1) + 1
  runs = [f'{run[0]}-{run[-1]}' if len(run) > 1 else f'{run[0]}' for run in np.split(values, breaks)]
  return ', '.join(runs)
