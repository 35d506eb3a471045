"""Counting: parameters, dense-equivalent entries and zero fractions of the MNIST-1D paper's models.

Expected numbers are derived here from the architecture (pure python), and from the pattern masks,
then compared with lib.core.counting and with the sizes of the initialised parameters.
"""


import jax
import numpy as np
import pytest

from lib.core import counting, models
from lib_oracles import Cfg, window_taps

IN_SHAPE = (40, 1)
# (kernel, stride, padding, C_in, C_out) of the paper's CNN; then flatten 125 -> 10.
PAPER_CONVS = [(5, 2, 1, 1, 25), (3, 2, 1, 25, 25), (3, 2, 1, 25, 25)]


def _param_count(params):
  return sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(params))


def _paper_geometry():
  """Per conv layer: (n_in, n_out, k, c_in, c_out, nonzero positions of the mask), pure python."""
  n, out = IN_SHAPE[0], []
  for k, s, p, c_in, c_out in PAPER_CONVS:
    n_out = (n + 2 * p - k) // s + 1
    table = window_taps(Cfg((n,), (k,), (s,), p, (1,), c_in, c_out, 1))
    kept = sum(pos is not None for taps in table.values() for _, pos in taps)
    out.append((n, n_out, k, c_in, c_out, kept))
    n = n_out
  return out


def test_paper_geometry_is_as_published():
  geometry = _paper_geometry()
  assert [g[1] for g in geometry] == [19, 10, 5]
  assert geometry[-1][1] * geometry[-1][4] == 125


def test_mnist1d_cnn_params_and_dense_entries():
  model = models.mnist1d_cnn()
  cost = counting.model_cost(model, IN_SHAPE)
  out_shape, params = model.init(jax.random.key(0), IN_SHAPE)
  assert out_shape == (10,)

  geometry = _paper_geometry()
  expected_params = sum(k * ci * co + co for _, _, k, ci, co, _ in geometry) + 125 * 10 + 10
  expected_dense = sum(n * ci * m * co for n, m, _, ci, co, _ in geometry) + 125 * 10
  expected_kept = sum(kept * ci * co for *_, ci, co, kept in geometry) + 125 * 10
  assert expected_params == 5210 and expected_dense == 170250

  assert cost.params == 5210
  assert _param_count(params) == 5210
  assert cost.dense_entries == 170250
  assert cost.nonzero_entries == expected_kept
  assert cost.zero_fraction == pytest.approx(1 - expected_kept / expected_dense)
  assert cost.zero_fraction == pytest.approx(0.825, abs=5e-4)
  assert cost.macs_factored == expected_kept and cost.macs_materialized == expected_dense


def test_zero_fraction_from_the_masks():
  """The same zero fraction, counted from each layer's mask as describe reports it."""
  model = models.mnist1d_cnn()
  _, infos = model.describe(IN_SHAPE)
  assert [i.name for i in infos] == ['Conv', 'Conv', 'Conv', 'Dense']
  dense = sum(i.pattern.mask.size * i.c_in * i.c_out for i in infos)
  kept = sum(int(np.count_nonzero(i.pattern.mask)) * i.c_in * i.c_out for i in infos)
  assert dense == 170250
  # Per layer, the mask keeps exactly the in-bounds taps of the python window.
  for info, (*_, kept_positions) in zip(infos, _paper_geometry()):
    assert int(info.pattern.mask.sum()) == kept_positions
  assert counting.model_cost(model, IN_SHAPE).zero_fraction == pytest.approx(1 - kept / dense)


def test_per_layer_costs_sum_to_model_cost():
  model = models.mnist1d_cnn()
  per_layer = counting.model_costs(model, IN_SHAPE)
  total = counting.model_cost(model, IN_SHAPE)
  assert sum(c.params for _, c in per_layer) == total.params
  assert [c.params for _, c in per_layer] == [150, 1900, 1900, 1260]
  assert 'total' in counting.cost_table(model, IN_SHAPE)


def test_mnist1d_lcn_params():
  model = models.by_name('mnist1d_lcn')
  cost = counting.model_cost(model, IN_SHAPE)
  _, params = model.init(jax.random.key(0), IN_SHAPE)
  # Untied: a kernel block and a bias per output position.
  expected = sum(m * k * ci * co + m * co for _, m, k, ci, co, _ in _paper_geometry()) + 1260
  assert expected == 32610
  assert cost.params == _param_count(params) == expected
  # Same masks as the CNN: the same dense-equivalent entries and zero fraction.
  cnn = counting.model_cost(models.mnist1d_cnn(), IN_SHAPE)
  assert cost.dense_entries == cnn.dense_entries
  assert cost.nonzero_entries == cnn.nonzero_entries


def test_mnist1d_mlp_params():
  model = models.by_name('mnist1d_mlp')
  cost = counting.model_cost(model, IN_SHAPE)
  _, params = model.init(jax.random.key(0), IN_SHAPE)
  expected = (40 * 100 + 100) + (100 * 100 + 100) + (100 * 10 + 10)
  assert cost.params == _param_count(params) == expected == 15210
  assert cost.dense_entries == 40 * 100 + 100 * 100 + 100 * 10
  assert cost.zero_fraction == 0.0


@pytest.mark.parametrize('family', ['fc', 'lcn', 'cnn'])
def test_build_counts_match_init(family):
  model = models.build(family, num_classes=3, depth=2, width=4, kernel_size=3, strides=[1, 2])
  _, params = model.init(jax.random.key(0), (9, 2))
  assert counting.model_cost(model, (9, 2)).params == _param_count(params)
