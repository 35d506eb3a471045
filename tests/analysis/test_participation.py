"""The inverse participation ratio and centring rows on a ring."""

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings, strategies as st

from lib.analysis import participation


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 300), st.floats(0.1, 10))
def test_ipr_of_one_hot_is_one_and_of_uniform_is_one_over_d(d, scale):
  one_hot = jnp.zeros((1, d)).at[0, d // 2].set(scale)
  uniform = jnp.full((1, d), -scale)
  np.testing.assert_allclose(participation.ipr(one_hot), [1.0], rtol=1e-6)
  np.testing.assert_allclose(participation.ipr(uniform), [1.0 / d], rtol=1e-5)


def test_ipr_counts_participating_entries_and_zero_rows():
  rows = jnp.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 1.0, 0.0]])
  np.testing.assert_allclose(participation.ipr(rows), [0.5, 0.0, 1 / 3], rtol=1e-6)


def test_centred_moves_each_rows_peak_to_the_middle_of_the_ring():
  rows = np.zeros((2, 10, 1), np.float32)
  rows[0, [9, 0], 0] = [2.0, 1.0]  # a field across the seam
  rows[1, 3, 0] = 1.0
  out = np.asarray(participation.centred(jnp.asarray(rows)))
  assert out[0, 5, 0] == 2.0 and out[0, 6, 0] == 1.0
  assert out[1, 5, 0] == 1.0
  np.testing.assert_allclose(np.sort(out.ravel()), np.sort(rows.ravel()))
