"""The separating task of Li, Zhang and Arora (ICLR 2021), Theorem 5.2.

    x ~ N(0, I_{2d}),    y = sign(sum_{i=1}^{d} x_i^2 - sum_{i=d+1}^{2d} x_i^2)

Any orthogonally equivariant learner (an FC net trained by SGD from an i.i.d. Gaussian start,
momentum and l2 included) needs Omega(d^2) samples to reach a constant error on it; a 2-layer CNN
needs O(1). The input is a 1-D signal of 2d positions with one channel, `[n, 2d, 1]`; class 1 is
y = +1 (the first half has the larger norm).

Exact balance: swapping the two halves preserves N(0, I_{2d}) and flips y, so the examples of one
class are distributed as the swapped examples of the other. We draw x, draw exactly balanced labels,
and swap the halves of each x whose label disagrees: each x given its label has the paper's
conditional distribution, and the labels are balanced exactly (the paper's marginal is 1/2 each).
"""

import numpy as np

from lib.data import synthetic_spec

PARAMS = {'d': (int, None), **synthetic_spec.COMMON_PARAMS}
NUM_CLASSES = 2


def label_of(x: np.ndarray) -> np.ndarray:
  """The paper's labelling function.

  Args:
    x: `[n, 2d, 1]` inputs.

  Returns:
    `[n]` int signs: +1 where the first d positions have the larger squared norm, else -1.
  """
  half = x.shape[1] // 2
  first, second = (x[:, :half, 0] ** 2).sum(1), (x[:, half:, 0] ** 2).sum(1)
  return np.where(first > second, 1, -1)


def sample(rng: np.random.Generator, d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
  """Draws n labelled examples with exactly balanced labels (see the module docstring).

  Returns:
    `(x [n, 2d, 1] float32, y [n] int32 class indices: 1 for y = +1)`.
  """
  x = rng.standard_normal((n, 2 * d, 1))
  signs = synthetic_spec.balanced_signs(rng, n)
  swap = label_of(x) != signs
  x[swap] = np.concatenate([x[swap, d:], x[swap, :d]], axis=1)
  return x.astype(np.float32), synthetic_spec.class_of_sign(signs)


def read_lza(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
  """The arrays of the spec `lza:d=D[,n_train=N,n_test=M,seed=S]`.

  Train and test come from separate streams of the seed, so the test set does not depend on n_train.

  Args:
    text: what follows `lza:`; d (half the input length) is required, at least 1.

  Returns:
    `(x_train [n_train, 2d, 1], y_train, x_test [n_test, 2d, 1], y_test, num_classes=2)`.
  """
  p = synthetic_spec.parse_params('lza', text, PARAMS)
  if p['d'] < 1:
    raise ValueError(f"lza: d={p['d']} must be at least 1")
  train = sample(np.random.default_rng((p['seed'], 0)), p['d'], p['n_train'])
  test = sample(np.random.default_rng((p['seed'], 1)), p['d'], p['n_test'])
  return *train, *test, NUM_CLASSES
