"""Image classification datasets already prepared for TFDS on this machine; nothing downloads.

Reads through `tfds.data_source` (ArrayRecord, random access, no TensorFlow). A dataset prepared only as
TFRecord is read with `tfds.load` when TensorFlow is installed.
"""

import importlib.util

import numpy as np
import tensorflow_datasets as tfds

SPLITS = ('train', 'test')
OFFLINE = ('mnist1d', 'digits')


class DatasetUnavailableError(ValueError):
  """A TFDS dataset is not prepared in the data directory, and this project never downloads."""


def read_tfds(name: str, data_dir: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                         int]:
  """Reads the `train` and `test` splits of a prepared TFDS image dataset.

  Args:
    name: the TFDS name, `NAME` or `NAME/CONFIG` (e.g. `mnist`, `emnist/letters`).
    data_dir: where the dataset was prepared; None for TFDS's default (`$TFDS_DATA_DIR` or
      `~/tensorflow_datasets`).

  Returns:
    `(x_train [n, H, W, C] float32 in [0, 1], y_train [n] int32, x_test [m, H, W, C] float32,
    y_test [m] int32, num_classes)`, from the features `image` (uint8) and `label`.

  Raises:
    DatasetUnavailableError: if the dataset is not prepared under `data_dir`.
    ValueError: if TFDS has no such dataset, or it lacks a `train` or `test` split.
  """
  builder = tfds_builder(name, data_dir)
  missing = [split for split in SPLITS if builder.info.splits and split not in builder.info.splits]
  if missing:
    raise ValueError(f'TFDS dataset {name!r} has the splits {list(builder.info.splits)}, not {missing}; '
                     f'this project reads {list(SPLITS)}')
  num_classes = builder.info.features['label'].num_classes
  try:
    sources = tfds.data_source(name, split=list(SPLITS), data_dir=data_dir, download=False)
    splits = [_stack(list(source)) for source in sources]
  except (KeyError, ValueError) as error:  # TFDS's "`splits` is empty" (and kin): nothing prepared
    if builder.is_prepared():
      raise
    raise _unavailable(name, builder.data_dir) from error
  except NotImplementedError as error:  # not prepared in a random-access format (or not at all)
    if not tensorflow_installed():
      raise _unavailable(name, builder.data_dir) from error
    try:
      splits = tfds.as_numpy(tfds.load(name, split=list(SPLITS), data_dir=data_dir, download=False,
                                       batch_size=-1, as_supervised=True))
    except AssertionError as tf_error:  # tfds.load's "could not find data"
      raise _unavailable(name, builder.data_dir) from tf_error
  (x_train, y_train), (x_test, y_test) = [(x.astype(np.float32) / 255, y.astype(np.int32))
                                          for x, y in splits]
  return x_train, y_train, x_test, y_test, num_classes


def tfds_builder(name: str, data_dir: str | None):
  """TFDS's builder of `name` in `data_dir`; ValueError naming the dataset if TFDS has none."""
  try:
    return tfds.builder(name, data_dir=data_dir)
  except tfds.core.registered.DatasetNotFoundError as error:
    raise ValueError(f'TFDS has no dataset {name!r} ({str(error).splitlines()[0]}); '
                     f'`tfds.list_builders()` names them all') from None


def tensorflow_installed() -> bool:
  """Whether TensorFlow can be imported (needed only for datasets prepared as TFRecord)."""
  return importlib.util.find_spec('tensorflow') is not None


def _stack(examples: list[dict[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
  """Stacks examples' `image` (`[H, W, C]`) and `label` into `([n, H, W, C], [n])`."""
  return np.stack([e['image'] for e in examples]), np.array([e['label'] for e in examples])


def _unavailable(name: str, searched: str) -> DatasetUnavailableError:
  """Explains how to prepare the dataset elsewhere and point this project at it."""
  return DatasetUnavailableError(
      f'TFDS dataset {name!r} is not prepared: nothing readable in {searched} (ArrayRecord, or TFRecord '
      f'with TensorFlow installed), and this project never downloads. On a machine with network access '
      f'run `pip install tensorflow-datasets tensorflow && tfds build {name} --file_format=array_record '
      f'--data_dir=DIR`, copy DIR here and pass --data_dir=DIR; or use an offline dataset: '
      f'{", ".join(OFFLINE)}.')
