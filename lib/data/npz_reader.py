"""A user's own images from an `.npz` file, validated before use."""

import numpy as np

KEYS = ('x_train', 'y_train', 'x_test', 'y_test')
CHANNELS = (1, 3, 4)  # grey, RGB, RGBA


def read_npz(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
  """Reads and validates images and labels saved with `np.savez`.

  The file holds `x_train`, `y_train`, `x_test`, `y_test`. Images are `[n, H, W]` (one channel) or
  `[n, H, W, C]`, uint8 (scaled by 1/255) or floating point (kept as they are); a channel-first
  `[n, C, H, W]` array (second axis 1, 3 or 4, last axis not) is refused. Labels are `[n]` whole,
  non-negative class numbers; `num_classes` is the largest label plus one, so `load_dataset` refuses a
  file where some class below it has no training example (see `lib.data.validation`).

  Args:
    path: the `.npz` file.

  Returns:
    `(x_train [n, H, W, C] float32, y_train [n] int32, x_test [m, H, W, C] float32, y_test [m] int32,
    num_classes)`.
  """
  with np.load(path) as data:
    missing = [key for key in KEYS if key not in data]
    if missing:
      raise ValueError(f'npz file {path!r} lacks keys {missing}; it must hold {list(KEYS)}')
    x_train, y_train, x_test, y_test = (data[key] for key in KEYS)
  x_train, x_test = _images('x_train', x_train), _images('x_test', x_test)
  y_train, y_test = _labels('y_train', y_train), _labels('y_test', y_test)
  for split, x, y in (('train', x_train, y_train), ('test', x_test, y_test)):
    if len(x) != len(y) or len(x) == 0:
      raise ValueError(f'x_{split} and y_{split} must hold the same positive number of examples, got '
                       f'len(x_{split})={len(x)} and len(y_{split})={len(y)}')
  if x_train.shape[1:] != x_test.shape[1:]:
    raise ValueError(f'train and test images must have the same shape, got x_train.shape[1:]='
                     f'{x_train.shape[1:]} and x_test.shape[1:]={x_test.shape[1:]}')
  num_classes = int(max(y_train.max(), y_test.max())) + 1
  return x_train, y_train, x_test, y_test, num_classes


def _images(key: str, x: np.ndarray) -> np.ndarray:
  """Checks `[n, H, W]` or `[n, H, W, C]` images and returns them as `[n, H, W, C]` float32."""
  if x.ndim not in (3, 4):
    raise ValueError(f'{key} must be [n, H, W] or [n, H, W, C] images, got {key}.shape={x.shape}')
  if x.ndim == 4 and x.shape[1] in CHANNELS and x.shape[3] not in CHANNELS:
    raise ValueError(f'{key}.shape={x.shape} looks channel-first ([n, C, H, W]); this project reads '
                     f'images as [n, H, W, C]: save np.moveaxis({key}, 1, -1) instead')
  if x.dtype == np.uint8:
    x = x.astype(np.float32) / 255
  elif np.issubdtype(x.dtype, np.floating):
    x = x.astype(np.float32)
  else:
    raise ValueError(f'{key} must be uint8 or floating point, got {key}.dtype={x.dtype}')
  return x if x.ndim == 4 else x[..., None]


def _labels(key: str, y: np.ndarray) -> np.ndarray:
  """Checks `[n]` whole, non-negative class numbers and returns them as int32."""
  if y.ndim != 1:
    raise ValueError(f'{key} must be [n] class labels, got {key}.shape={y.shape}')
  if np.issubdtype(y.dtype, np.floating):
    fractional = y[y != np.round(y)]
    if fractional.size:
      raise ValueError(f'{key} must hold whole class numbers, got {key} values {fractional[:3].tolist()}')
  elif not np.issubdtype(y.dtype, np.integer):
    raise ValueError(f'{key} must hold integer class numbers, got {key}.dtype={y.dtype}')
  if np.any(y < 0):
    raise ValueError(f'{key} must hold non-negative class numbers, got min({key})={y.min()}')
  return y.astype(np.int32)
