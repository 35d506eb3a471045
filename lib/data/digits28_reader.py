"""scikit-learn's handwritten digits at MNIST's shape (28x28x1), generated offline.

Each 8x8 digit is upsampled to 20x20 (bilinear, as MNIST's digits are fitted in a 20x20 box), placed at
a random offset on a 28x28 zero canvas, with a random contrast and pixel noise. Train and test copies
come from disjoint halves of the 1,797 digits, so a test digit was never seen in training, in any copy.
"""

import jax
import numpy as np
import sklearn.datasets

from lib.data import translate

SIDE, DIGIT_SIDE = 28, 20
NUM_TRAIN, NUM_TEST = 5000, 5000
NUM_CLASSES = 10


def read_digits28(num_train: int = NUM_TRAIN, num_test: int = NUM_TEST,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
  """Generates the copies.

  Args:
    num_train, num_test: copies in each split.
    seed: seeds the split of the digits, the picks, offsets, contrasts and noise.

  Returns:
    `(x_train [num_train, 28, 28, 1] float32 in [0, 1], y_train [num_train] int32, x_test
    [num_test, 28, 28, 1], y_test [num_test], num_classes)`.
  """
  digits = sklearn.datasets.load_digits()
  images = np.asarray(jax.image.resize(digits.images / 16.0,
                                       (len(digits.images), DIGIT_SIDE, DIGIT_SIDE), 'bilinear'),
                      np.float32)
  rng = np.random.default_rng(seed)
  order = rng.permutation(len(images))
  halves = order[:len(order) // 2], order[len(order) // 2:]

  def copies(pool, count):
    picks = rng.choice(pool, count)
    offsets = rng.integers(0, SIDE - DIGIT_SIDE + 1, (count, 2))
    x = translate.place(images[picks, :, :, None], (SIDE, SIDE), offsets)
    x = x * rng.uniform(0.6, 1.0, (count, 1, 1, 1)) + rng.normal(0, 0.05, x.shape)
    return np.clip(x, 0, 1).astype(np.float32), digits.target[picks].astype(np.int32)

  x_train, y_train = copies(halves[0], num_train)
  x_test, y_test = copies(halves[1], num_test)
  return x_train, y_train, x_test, y_test, NUM_CLASSES
