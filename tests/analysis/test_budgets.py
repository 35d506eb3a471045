"""Budgets: the widest and the deepest network that fits, against hand-counted costs."""

import pytest
from hypothesis import given, settings, strategies as st

from lib.analysis import budgets

IN_SHAPE = (40, 1)


def _fc_params(depth, width, inputs=40, classes=10):
  """A ReLU MLP on the flattened input: weights and biases, by hand."""
  return inputs * width + width + (depth - 1) * (width * width + width) + width * classes + classes


def _cnn_params(depth, width, positions=40, c_in=1, classes=10, k=3):
  return (k * c_in * width + width + (depth - 1) * (k * width * width + width)
          + positions * width * classes + classes)


def test_costs_match_hand_counts():
  assert budgets.cost(budgets.Architecture('fc', 3, 20), 'params', IN_SHAPE, 10) == _fc_params(3, 20)
  assert budgets.cost(budgets.Architecture('cnn', 2, 7), 'params', IN_SHAPE, 10) == _cnn_params(2, 7)
  # SAME 3-tap on 40 positions keeps 40 * 3 - 2 taps; the readout is a plain matmul.
  macs = (40 * 3 - 2) * 7 + (40 * 3 - 2) * 7 * 7 + 40 * 7 * 10
  for family in ('cnn', 'lcn'):
    assert budgets.cost(budgets.Architecture(family, 2, 7), 'macs', IN_SHAPE, 10) == macs


@settings(max_examples=10, deadline=None)
@given(st.integers(200, 40000))
def test_widest_fc_is_the_largest_that_fits(budget):
  arch = budgets.fit('fc', 'widest', 'params', budget, IN_SHAPE, 10, depth=2, width=0)
  if budget < _fc_params(2, 1):
    assert arch is None
    return
  assert arch.depth == 2
  assert _fc_params(2, arch.width) <= budget < _fc_params(2, arch.width + 1)


def test_deepest_cnn_and_the_cap():
  arch = budgets.fit('cnn', 'deepest', 'params', 5000, IN_SHAPE, 10, depth=0, width=8)
  assert _cnn_params(arch.depth, 8) <= 5000 < _cnn_params(arch.depth + 1, 8)
  capped = budgets.fit('cnn', 'deepest', 'params', 10**6, IN_SHAPE, 10, depth=0, width=8,
                       max_depth=5)
  assert capped.depth == 5
  # FC layers hold as many units as a CNN layer of 8 channels on 40 positions: 320.
  fc = budgets.fit('fc', 'deepest', 'params', 3 * 10**5, IN_SHAPE, 10, depth=0, width=8)
  assert fc.width == 320 and _fc_params(fc.depth, 320) <= 3 * 10**5 < _fc_params(fc.depth + 1, 320)
  assert budgets.fit('lcn', 'deepest', 'params', 1000, IN_SHAPE, 10, depth=0, width=8) is None


def test_sharing_buys_width_under_a_parameter_budget_but_not_under_a_mac_budget():
  widths = {kind: {f: budgets.fit(f, 'widest', kind, b, IN_SHAPE, 10, depth=2, width=0).width
                   for f in ('lcn', 'cnn')} for kind, b in (('params', 16000), ('macs', 40000))}
  assert widths['params']['cnn'] > 2 * widths['params']['lcn']
  assert widths['macs']['cnn'] == widths['macs']['lcn']


@pytest.mark.parametrize('shape, kind, message', [('tallest', 'params', "shape='tallest'"),
                                                  ('widest', 'flops', "kind='flops'")])
def test_unknown_shape_or_kind(shape, kind, message):
  with pytest.raises(ValueError, match=message):
    budgets.fit('fc', shape, kind, 1000, IN_SHAPE, 10, depth=2, width=8)
