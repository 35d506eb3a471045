"""Training sets at chosen translations, and accuracy and consistency of a model over test shifts."""

from collections.abc import Callable

import jax
import numpy as np

from lib.data import translate


def shifted_copies(x: np.ndarray, y: np.ndarray, shifts: np.ndarray, circular: bool,
                   copies: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
  """Materialises a training set at given translations, as host arrays.

  Args:
    x: `[n, *grid, channels]` examples.
    y: `[n]` labels.
    shifts: `[m, d]` int, the allowed shifts (`lib.data.translate.shift` convention).
    circular: wrap content around the grid, or drop what leaves it.
    copies: None: every example at every allowed shift (`n * m` examples); an int k >= 1: every
      example at k shifts drawn uniformly with replacement from `shifts` (`n * k` examples).
    seed: the draw of the shifts (`copies` given only).

  Returns:
    `(x [n * m or n * k, *grid, channels], y [same])`, grouped by copy: copy j of every example, then
    copy j + 1.
  """
  n, shifts = x.shape[0], np.asarray(shifts)
  if copies is None:
    picks = np.repeat(shifts[:, None, :], n, axis=1)  # [m, n, d]
  else:
    if not isinstance(copies, int) or copies < 1:
      raise ValueError(f'copies={copies!r}: must be None or a positive int')
    rng = np.random.default_rng(seed)
    picks = shifts[rng.integers(0, len(shifts), (copies, n))]  # [k, n, d]
  xs = np.concatenate([translate.shift(x, p, circular) for p in picks])
  return xs, np.tile(y, len(picks))


def predictions_per_shift(apply: Callable, params, x: np.ndarray, shifts: np.ndarray,
                          circular: bool, batch_size: int = 512) -> np.ndarray:
  """Predicted classes of every example at every shift.

  Args:
    apply: `apply(params, x [batch, *grid, channels]) -> logits [batch, classes]`.
    params: the model's parameters.
    x: `[n, *grid, channels]` test examples.
    shifts: `[m, d]` int shifts.
    circular: wrap content around the grid, or drop what leaves it.
    batch_size: examples per call.

  Returns:
    `[m, n]` int predicted classes.
  """
  predict = jax.jit(lambda p, xb: apply(p, xb).argmax(-1))
  out = []
  for s in np.asarray(shifts):
    moved = translate.shift(x, s, circular)
    out.append(np.concatenate([np.asarray(predict(params, moved[i:i + batch_size]))
                               for i in range(0, len(moved), batch_size)]))
  return np.stack(out)


def shift_consistency(predictions: np.ndarray) -> float:
  """Zhang (2019)'s consistency: how often two random shifts of one image get the same class.

  Computed exactly, as the mean over images of the fraction of ordered pairs of distinct shifts whose
  predictions agree (the expectation of the random-pair estimate).

  Args:
    predictions: `[m, n]` int, the class predicted for image j at shift i; `m >= 2`.

  Returns:
    The consistency in [0, 1].
  """
  m, _ = predictions.shape
  if m < 2:
    raise ValueError(f'predictions.shape={predictions.shape}: need at least 2 shifts')
  counts = np.stack([(predictions == c).sum(0) for c in np.unique(predictions)])  # [classes, n]
  return float(((counts * (counts - 1)).sum(0) / (m * (m - 1))).mean())


def seen_mask(shifts: np.ndarray, seen: np.ndarray) -> np.ndarray:
  """`[m]` bool: which rows of `shifts` (`[m, d]`) occur among the rows of `seen` (`[k, d]`)."""
  return (shifts[:, None, :] == seen[None, :, :]).all(-1).any(-1)
