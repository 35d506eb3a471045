"""Dense cost: counts of the 28x28 and 32x32x3 CNNs against hand computation; the limit; the figure.

The expected counts are derived here from the architecture alone (lax's SAME rule, pure python).
"""

import json
import math

import numpy as np
import pytest

from lib.analysis import dense_cost
from lib.core import counting


def _same_taps(n, k, s):
  """(output size, taps that land inside the input summed over outputs) of SAME padding, one dim."""
  out = -(-n // s)
  low = max((out - 1) * s + k - n, 0) // 2
  inside = sum(0 <= q * s + t - low < n for q in range(out) for t in range(k))
  return out, inside


def _hand_counts(side, c_in, width, strides, classes=10, k=3):
  """params, dense entries, kept entries of 3x3 SAME convs on a square grid + flatten + dense."""
  params = dense = kept = 0
  for s in strides:
    out, inside = _same_taps(side, k, s)
    params += k * k * c_in * width + width
    dense += side * side * c_in * out * out * width
    kept += inside * inside * c_in * width
    side, c_in = out, width
  features = side * side * width
  return (params + features * classes + classes, dense + features * classes,
          kept + features * classes)


@pytest.mark.parametrize('name, hand', [
    ('cnn_28x28', _hand_counts(28, 1, 32, (1, 2, 2))),
    ('cnn_32x32x3', _hand_counts(32, 3, 64, (1, 2, 2))),
])
def test_counts_match_hand_computation(name, hand):
  build, in_shape, _ = dense_cost.MODELS[name]
  cost = counting.model_cost(build(), in_shape)
  assert (cost.params, cost.dense_entries, cost.nonzero_entries) == hand
  assert cost.macs_factored == hand[2] and cost.macs_materialized == hand[1]
  assert cost.zero_fraction > 0.98


def test_hand_counts_of_the_28x28_cnn_by_number():
  params, dense, kept = _hand_counts(28, 1, 32, (1, 2, 2))
  assert params == 320 + 9248 + 9248 + 7 * 7 * 32 * 10 + 10 == 34506
  assert kept == 82 ** 2 * 32 + 41 ** 2 * 32 * 32 + 20 ** 2 * 32 * 32 + 15680
  assert dense == 784 * 784 * 32 + 784 * 32 * 196 * 32 + 196 * 32 * 49 * 32 + 15680


def test_the_limit_skips_the_materialized_pass(tmp_path):
  config = dense_cost.Config(('mnist1d_cnn',), batch=2, dense_limit_gb=4e-4, timing_budget_s=0.01)
  record = dense_cost.measure('mnist1d_cnn', config)
  assert record['factored_fits'] and record['factored_time_s'] > 0
  assert not record['materialized_fits'] and record['materialized_time_s'] is None
  assert record['materialized_memory_mb'] > 0.4 > record['factored_memory_mb']
  assert record['dense_mb'] == pytest.approx(170250 * 4 / 1e6)
  dense_cost.write([record], tmp_path, config)
  assert 'does not fit' in (tmp_path / 'summary.md').read_text()
  assert json.loads((tmp_path / 'results.jsonl').read_text())['params'] == 5210
  assert (tmp_path / 'dense_matrices.png').stat().st_size > 0


def test_layer_matrices_show_the_structure():
  panels = dict((name.split(',')[0] + str(w.shape), w) for name, w in dense_cost.layer_matrices())
  fc, lcn, cnn = panels['FC(16, 16)'], panels['LCN(16, 16)'], panels['CNN(16, 16)']
  assert not np.isnan(fc).any()
  np.testing.assert_array_equal(np.isnan(lcn), np.isnan(cnn))
  assert np.isnan(cnn).sum() == 16 * 16 - (16 * 3 - 2)  # a band of width 3
  for offset in (-1, 0, 1):  # tied: constant along each diagonal
    diagonal = np.diagonal(cnn, offset)
    assert np.allclose(diagonal, diagonal[0])
  assert not np.allclose(np.diagonal(lcn), np.diagonal(lcn)[0])
  cnn_2d = panels['CNN(25, 25)']
  assert math.isclose(np.isnan(cnn_2d).mean(), 1 - (5 * 3 - 2) ** 2 / 625)


@pytest.mark.parametrize('field, value, message', [('models', ('vgg',), "model='vgg'"),
                                                   ('batch', 0, 'batch=0'),
                                                   ('dense_limit_gb', -1.0, 'dense_limit_gb=-1.0')])
def test_bad_config_is_refused(field, value, message):
  config = dict(models=('mnist1d_cnn',), batch=2, dense_limit_gb=1.0, timing_budget_s=1.0)
  config[field] = value
  with pytest.raises(ValueError, match=message):
    dense_cost.Config(**config).validate()
