"""The in-program circular shift: every example is a roll of itself, and the shifts vary."""

import jax
import numpy as np

from lib.data import augment


def test_each_example_is_a_roll_of_itself():
  x = np.random.default_rng(0).normal(size=(64, 10, 2)).astype(np.float32)
  out = np.asarray(jax.jit(augment.random_circular_shift)(jax.random.key(1), x))
  shifts = []
  for original, rolled in zip(x, out):
    matches = [s for s in range(10) if np.array_equal(np.roll(original, s, axis=0), rolled)]
    assert len(matches) == 1
    shifts.append(matches[0])
  assert len(set(shifts)) > 5
