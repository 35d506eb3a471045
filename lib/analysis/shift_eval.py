"""Shifts inside the compiled program: augmentation at chosen shifts, accuracy and consistency over a
grid of test shifts.

Shifts follow `np.roll` (`lib.data.translate`): a positive shift moves content towards higher indices.
Without wrap-around, content that leaves the grid is dropped and zeros come in.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lib.engine.training import map_batches


def shift_examples(x: jax.Array, offsets: jax.Array, circular: bool) -> jax.Array:
  """Shifts each example by its own offset.

  Args:
    x: `[batch, *grid, C]` examples.
    offsets: `[batch, d]` int shifts, `d = len(grid)`; without wrap-around each entry's magnitude must
      be below the grid's size along its axis.
    circular: wrap content around the grid, or drop what leaves it.

  Returns:
    `[batch, *grid, C]`, example i moved by `offsets[i]`.
  """
  grid = x.shape[1:-1]

  def one(example, offset):
    if circular:
      return jnp.roll(example, tuple(offset[a] for a in range(len(grid))), tuple(range(len(grid))))
    padded = jnp.pad(example, [(g, g) for g in grid] + [(0, 0)])
    start = [g - offset[a] for a, g in enumerate(grid)] + [0]
    return jax.lax.dynamic_slice(padded, start, example.shape)

  return jax.vmap(one)(x, offsets)


def random_shifts(shifts: np.ndarray, circular: bool) -> Callable:
  """An `augment(key, x)` for the engine: every example at a shift drawn uniformly from `shifts`.

  Args:
    shifts: `[m, d]` int, the allowed shifts.
    circular: wrap content around the grid, or drop what leaves it.
  """
  table = jnp.asarray(shifts, jnp.int32)

  def augment(key, x):
    picks = jax.random.randint(key, (x.shape[0],), 0, table.shape[0])
    return shift_examples(x, table[picks], circular)

  return augment


def consistency(predictions: jax.Array, num_classes: int) -> jax.Array:
  """Zhang (2019)'s consistency: how often two random shifts of one image get the same class.

  Computed exactly, as the mean over images of the fraction of ordered pairs of distinct shifts whose
  predictions agree (the expectation of the random-pair estimate).

  Args:
    predictions: `[m, n]` int, the class predicted for image j at shift i; `m >= 2`.
    num_classes: the number of classes.

  Returns:
    A scalar in [0, 1].
  """
  m = predictions.shape[0]
  if m < 2:
    raise ValueError(f'predictions.shape={predictions.shape}: need at least 2 shifts')
  counts = jax.nn.one_hot(predictions, num_classes).sum(0)  # [n, classes]
  return ((counts * (counts - 1)).sum(-1) / (m * (m - 1))).mean()


def shift_evaluation(apply: Callable, shifts: np.ndarray, circular: bool, num_classes: int,
                     batch_size: int = 500) -> Callable:
  """An `evaluate(params, data)` for the engine: test accuracy at every shift, and consistency.

  Args:
    apply: the model's `apply(params, x) -> logits`.
    shifts: `[m, d]` int test shifts.
    circular: wrap content around the grid, or drop what leaves it.
    num_classes: the number of classes.
    batch_size: test examples per batch.

  Returns:
    `evaluate(params, data) -> {'accuracy_per_shift': [m], 'consistency': []}` on data's test set.
  """
  table = jnp.asarray(shifts, jnp.int32)

  def evaluate(params, data):
    x, y = data['x_test'], data['y_test']

    def at(offset):
      def predict(batch):
        moved = shift_examples(batch, jnp.broadcast_to(offset, (batch.shape[0], offset.shape[0])),
                               circular)
        return apply(params, moved).argmax(-1)
      return map_batches(predict, x, batch_size)

    predictions = jax.lax.map(at, table)  # [m, n]
    return {'accuracy_per_shift': (predictions == y[None]).mean(1),
            'consistency': consistency(predictions, num_classes)}

  return evaluate


def seen_mask(shifts: np.ndarray, seen: np.ndarray) -> np.ndarray:
  """`[m]` bool: which rows of `shifts` (`[m, d]`) occur among the rows of `seen` (`[k, d]`)."""
  return (shifts[:, None, :] == seen[None, :, :]).all(-1).any(-1)


def ring_accuracy(accuracy_per_shift: np.ndarray, shifts: np.ndarray) -> np.ndarray:
  """Mean accuracy over each ring of shifts: ring r holds the shifts whose largest |component| is r.

  Separates what aliasing costs from what the grid's edges cost: a network subsampled by a total
  stride s loses to aliasing at shifts that are not multiples of s (ring 2 for s = 4), while only
  the outer rings bring the content near the edges.

  Args:
    accuracy_per_shift: `[m]` accuracy at each shift.
    shifts: `[m, d]` int, the shifts (every ring from 0 to the largest must be present).

  Returns:
    `[max ring + 1]` mean accuracy per ring.
  """
  rings = np.abs(shifts).max(-1)
  accuracy = np.asarray(accuracy_per_shift, float)
  return np.array([accuracy[rings == r].mean() for r in range(rings.max() + 1)])
