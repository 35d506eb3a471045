"""Receptive fields: composed masks against the closed form; the effective field against path counts."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lib.analysis import receptive_field as rf
from lib.core import layers, patterns

LAYER = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3))  # kernel, stride, dilation


def _stack(grid, spec, padding):
  stack = []
  for k, s, d in spec:
    stack.append(patterns.convolution(stack[-1].out_grid if stack else grid, k, s, padding, d))
  return stack


def _needed(spec):
  """An input size that leaves every layer of a VALID stack at least one output."""
  size, jump = 1, 1
  for k, s, d in spec:
    size += (k - 1) * d * jump + (s - 1) * jump
    jump *= s
  return size


@settings(max_examples=40, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=4), st.integers(0, 6))
def test_valid_stack_fields_equal_the_closed_form(spec, extra):
  grid = (_needed(spec) + extra,)
  field = rf.compose_masks(_stack(grid, spec, 'VALID'))
  expected = rf.closed_form_extent(*zip(*spec))
  assert (rf.field_extent(field, grid) == expected).all()


@settings(max_examples=15, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=2), st.lists(LAYER, min_size=1, max_size=2))
def test_2d_fields_follow_the_closed_form_per_dimension(rows, cols):
  depth = min(len(rows), len(cols))
  rows, cols = rows[:depth], cols[:depth]
  grid = (_needed(rows), _needed(cols))
  stack = []
  for (kr, sr, dr), (kc, sc, dc) in zip(rows, cols):
    stack.append(patterns.convolution(stack[-1].out_grid if stack else grid, (kr, kc), (sr, sc),
                                      'VALID', (dr, dc)))
  extent = rf.field_extent(rf.compose_masks(stack), grid)
  assert (extent[:, 0] == rf.closed_form_extent(*zip(*rows))).all()
  assert (extent[:, 1] == rf.closed_form_extent(*zip(*cols))).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=3))
def test_padding_only_cuts_fields_short_at_the_border(spec):
  expected = rf.closed_form_extent(*zip(*spec))
  grid = (3 * _needed(spec) + 2 * expected,)
  stack = _stack(grid, spec, 'SAME')
  extent = rf.field_extent(rf.compose_masks(stack), grid)[:, 0]
  assert extent.max() == expected and (extent <= expected).all()


def test_mismatched_grids_are_refused():
  with pytest.raises(ValueError, match='pattern 1 reads grid'):
    rf.compose_masks([patterns.convolution((10,), 3, 2), patterns.convolution((10,), 3)])


def test_model_fields_stop_at_the_flatten_and_find_the_covering_depth():
  model = layers.serial(*[layers.Conv(2, 3), layers.Relu] * 4, layers.Flatten, layers.Dense(3))
  fields = rf.model_fields(model, (9, 1))
  assert len(fields) == 4
  centre = [rf.field_extent(f, (9,))[4, 0] for f in fields]
  assert centre == [3, 5, 7, 9]
  assert rf.covering_depth(centre, 9) == 4 and rf.covering_depth(centre, 10) is None


def test_effective_field_of_a_linear_ones_stack_counts_paths():
  depth, size = 3, 15
  stack = layers.serial(*[layers.Conv(1, 3, use_bias=False)] * depth)
  params = tuple({'kernel': jnp.ones((3, 1, 1))} for _ in range(depth))
  x = np.random.default_rng(0).normal(size=(4, size, 1)).astype(np.float32)
  field = jax.jit(lambda p, x: rf.effective_field(stack, p, x))(params, x)
  paths = np.ones(1)
  for _ in range(depth):
    paths = np.convolve(paths, np.ones(3))
  expected = np.zeros(size)
  expected[size // 2 - depth:size // 2 + depth + 1] = paths
  chex.assert_trees_all_close(field, expected, atol=1e-5)


def test_widths_and_exponents():
  point = np.zeros(9, np.float32)
  point[4] = 1.0
  widths = jax.jit(rf.field_width)(np.stack([np.ones(9, np.float32), point]))
  np.testing.assert_allclose(widths, [rf.uniform_width(9), 0.0], atol=1e-5)
  depths = [2, 4, 8, 16]
  assert rf.fit_exponent(depths, [3 * math.sqrt(d) for d in depths]) == pytest.approx(0.5)


def test_unit_gradient_maps_of_a_linear_layer_are_its_weights():
  dense = layers.serial(layers.Flatten, layers.Dense(3, use_bias=False))
  kernel = np.random.default_rng(1).normal(size=(5 * 2, 3)).astype(np.float32)
  x = np.ones((4, 5, 2), np.float32)
  maps = jax.jit(lambda k, x: rf.unit_gradient_maps(dense, ({}, {'kernel': k}), x))(kernel, x)
  chex.assert_trees_all_close(maps, np.abs(kernel).reshape(5, 2, 3).sum(1).T, atol=1e-6)
