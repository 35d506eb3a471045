"""Pattern structure: mask and tie semantics, checked against pure-python windows (no jax compute)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lib.core import patterns
from lib.core.patterns import Sharing
from lib_oracles import CONFIG_IDS, CONFIGS, Cfg, out_grid_of, pads_of, window_taps


def _make(cfg, shared):
  return patterns.windowed(cfg.grid, cfg.kernel, cfg.strides, cfg.padding, cfg.dilation,
                           shared=shared)


def _check_window(cfg):
  """index, mask, valid, row sums and both tie rules against an independent python window."""
  conv, local = _make(cfg, True), _make(cfg, False)
  table = window_taps(cfg)
  n_in, n_out, k = math.prod(cfg.grid), math.prod(out_grid_of(cfg)), math.prod(cfg.kernel)
  for pattern in (conv, local):
    assert pattern.in_grid == cfg.grid and pattern.out_grid == out_grid_of(cfg)
    assert (pattern.n_in, pattern.n_out, pattern.taps) == (n_in, n_out, k)
    assert pattern.index.shape == pattern.tie.shape == (n_out, k)
    assert pattern.mask.shape == pattern.block_of.shape == (n_out, n_in)
    assert pattern.window.pads == tuple(tuple(p) for p in pads_of(cfg))

  expected_mask = np.zeros((n_out, n_in), bool)
  for q, taps in table.items():
    for t, p in taps:
      # index: the tap's input position, N_in on padding.
      assert conv.index[q, t] == (n_in if p is None else p), (q, t)
      if p is not None:
        expected_mask[q, p] = True
        # Conv: the offset alone picks the block. LCN: a block per (q, tap).
        assert conv.block_of[q, p] == t
        assert local.block_of[q, p] == q * k + t
  np.testing.assert_array_equal(conv.mask, expected_mask)
  np.testing.assert_array_equal(local.mask, expected_mask)
  np.testing.assert_array_equal(local.index, conv.index)
  # Row sums = non-padding taps (taps are distinct positions, so no double counting).
  non_padding = [sum(p is not None for _, p in taps) for q, taps in sorted(table.items())]
  np.testing.assert_array_equal(conv.mask.sum(1), non_padding)
  np.testing.assert_array_equal(conv.valid.sum(1), non_padding)
  # Off the mask, block_of is -1.
  assert (conv.block_of[~expected_mask] == -1).all()
  assert (local.block_of[~expected_mask] == -1).all()

  # Tie semantics.
  assert conv.sharing is Sharing.TIED and local.sharing is Sharing.UNTIED
  assert conv.num_blocks == k and local.num_blocks == n_out * k
  assert (conv.tie == np.arange(k)[None, :]).all()  # independent of q
  assert sorted(local.tie.ravel().tolist()) == list(range(n_out * k))  # all distinct


@pytest.mark.parametrize('cfg', CONFIGS, ids=CONFIG_IDS)
def test_window_patterns(cfg):
  _check_window(cfg)


@st.composite
def _configs(draw):
  ndim = draw(st.sampled_from([1, 2, 3]))
  per_dim = lambda s: tuple(draw(s) for _ in range(ndim))
  padding = draw(st.one_of(st.sampled_from(['SAME', 'VALID']), st.integers(0, 2),
                           st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                                    min_size=ndim, max_size=ndim)))
  return Cfg(per_dim(st.integers(1, 7 if ndim < 3 else 4)), per_dim(st.integers(1, 4)),
             per_dim(st.integers(1, 3)), padding, per_dim(st.integers(1, 3)), 1, 1, 1)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_configs())
def test_window_patterns_property(cfg):
  fits = all((k - 1) * d + 1 <= n + lo + hi for n, k, d, (lo, hi) in
             zip(cfg.grid, cfg.kernel, cfg.dilation, pads_of(cfg)))
  if not fits:
    with pytest.raises(ValueError, match='kernel_size'):
      _make(cfg, True)
  assume(fits)
  _check_window(cfg)


def test_conv_tie_depends_on_offset_only():
  """1-D: at every kept (q, p) the block is the offset of p from q's window origin, over dilation."""
  s, d, lo = 2, 2, 3
  pattern = patterns.convolution((13,), 3, strides=s, padding=[(lo, 1)], dilation=d)
  qs, ps = np.nonzero(pattern.mask)
  offsets = ps - (qs * s - lo)
  assert (offsets % d == 0).all()
  np.testing.assert_array_equal(pattern.block_of[qs, ps], offsets // d)


@pytest.mark.parametrize('n,k,d', [(8, 3, 1), (9, 1, 1), (10, 4, 1), (11, 3, 2)])
def test_valid_stride1_conv_mask_is_a_band(n, k, d):
  pattern = patterns.convolution((n,), k, strides=1, padding='VALID', dilation=d)
  n_out = n - (k - 1) * d
  q, p = np.arange(n_out)[:, None], np.arange(n)[None, :]
  diff = p - q
  band = (diff >= 0) & (diff <= (k - 1) * d) & (diff % d == 0)
  np.testing.assert_array_equal(pattern.mask, band)
  assert pattern.valid.all()  # VALID: no tap reads padding
  if d == 1:  # contiguous band: each row is k consecutive ones starting at q
    np.testing.assert_array_equal(pattern.mask.sum(1), np.full(n_out, k))
    np.testing.assert_array_equal(pattern.mask.argmax(1), np.arange(n_out))


@pytest.mark.parametrize('in_grid,out_grid', [((5,), ()), ((3, 2), (4,)), ((), ()), ((4,), (2, 3))])
def test_fully_connected_pattern(in_grid, out_grid):
  pattern = patterns.fully_connected(in_grid, out_grid)
  n_in, n_out = math.prod(in_grid), math.prod(out_grid)
  assert pattern.is_dense and pattern.window is None
  assert pattern.sharing is Sharing.UNTIED
  assert pattern.num_blocks == n_out * n_in
  assert pattern.mask.shape == (n_out, n_in) and pattern.mask.all()
  # Every (q, p) has its own block, laid out q-major: the kernel [*out_grid, *in_grid, ...] order.
  np.testing.assert_array_equal(pattern.block_of,
                                np.arange(n_out * n_in).reshape(n_out, n_in))


def test_same_padding_keeps_grid_and_window_patterns_are_sparse():
  pattern = patterns.convolution((6, 5), (3, 3))  # defaults: stride 1, SAME
  assert pattern.out_grid == (6, 5)
  assert pattern.window.pads == ((1, 1), (1, 1))
  # Interior outputs see all 9 inputs; the corner sees 4.
  rows = pattern.mask.sum(1).reshape(6, 5)
  assert rows[2, 2] == 9 and rows[0, 0] == 4 and rows[0, 2] == 6
