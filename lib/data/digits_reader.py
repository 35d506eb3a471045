"""scikit-learn's 1,797 handwritten 8x8 digits, centred on a larger zero canvas."""

import numpy as np
import sklearn.datasets
import sklearn.model_selection

from lib.data import translate

DIGIT_SIZE = 8
MAX_VALUE = 16  # load_digits pixels are counts 0..16
TEST_FRACTION = 0.25
SPLIT_SEED = 0  # fixed: every run sees the same train/test split
NUM_CLASSES = 10


def read_digits(canvas: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
  """Reads the digits, scales them to [0, 1] and centres each on a `canvas x canvas` zero image.

  The train/test split is stratified by class and fixed (the same for every run). For an odd margin the
  extra row and column of zeros go below and to the right.

  Args:
    canvas: side of the square canvas; at least 8.

  Returns:
    `(x_train [1347, canvas, canvas, 1] float32, y_train [1347] int32, x_test [450, canvas, canvas, 1]
    float32, y_test [450] int32, num_classes)`.
  """
  if canvas < DIGIT_SIZE:
    raise ValueError(f'canvas must be >= {DIGIT_SIZE} (the digit size), got canvas={canvas}')
  digits = sklearn.datasets.load_digits()
  images = (digits.images / MAX_VALUE).astype(np.float32)[..., None]
  margin = (canvas - DIGIT_SIZE) // 2
  images = translate.place(images, (canvas, canvas), np.full((len(images), 2), margin))
  x_train, x_test, y_train, y_test = sklearn.model_selection.train_test_split(
      images, digits.target.astype(np.int32), test_size=TEST_FRACTION, stratify=digits.target,
      random_state=SPLIT_SEED)
  return x_train, y_train, x_test, y_test, NUM_CLASSES
