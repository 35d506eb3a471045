"""Independent reference implementations for the lib/ tests.

Nothing here calls lib/: the oracles are jax.lax / flax.linen convolutions and plain numpy loops, so a
test that compares lib against them can fail.
"""

import dataclasses
import math
from typing import Any

import chex
import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn
from jax import lax

ATOL = 1e-4


def factored_forms():
  """{name: (form, method)} for every explicit factored method lib offers, plus 'materialized'.

  Read from lib.core.contraction.METHODS so a renamed method ('shift' -> 'slices') is still covered.
  """
  from lib.core import contraction  # pylint: disable=g-import-not-at-top
  forms = {m: ('factored', m) for m in contraction.METHODS if m != 'auto'}
  assert 'gather' in forms and len(forms) >= 2, contraction.METHODS
  forms['materialized'] = ('materialized', 'auto')
  return forms


@dataclasses.dataclass(frozen=True)
class Cfg:
  """One sliding-window configuration, spelled the way lib and lax/flax both accept it."""
  grid: tuple
  kernel: tuple
  strides: tuple
  padding: Any  # 'SAME' | 'VALID' | int | list of (low, high) pairs
  dilation: tuple
  c_in: int
  c_out: int
  batch: int

  @property
  def ndim(self):
    return len(self.grid)

  def __str__(self):
    return (f'g{self.grid}-k{self.kernel}-s{self.strides}-p{self.padding}-d{self.dilation}'
            f'-c{self.c_in}x{self.c_out}-b{self.batch}').replace(' ', '')


# Covers: 1-D and 2-D; strides 1..3; SAME, VALID, explicit symmetric and asymmetric padding;
# dilation 1 and 2; odd and even kernels; 1 and several channels; batch 1.
CONFIGS = [
    Cfg((9,), (3,), (1,), 'SAME', (1,), 1, 1, 1),
    Cfg((9,), (4,), (1,), 'SAME', (1,), 2, 3, 2),
    Cfg((10,), (3,), (2,), 'VALID', (1,), 3, 2, 1),
    Cfg((11,), (2,), (3,), 'SAME', (2,), 1, 2, 2),
    Cfg((12,), (5,), (2,), 1, (1,), 2, 2, 1),
    Cfg((10,), (3,), (1,), [(2, 0)], (2,), 2, 1, 2),
    Cfg((8,), (4,), (3,), [(0, 3)], (1,), 1, 3, 1),
    Cfg((9,), (1,), (2,), 'VALID', (1,), 3, 2, 1),
    Cfg((6, 5), (3, 3), (1, 1), 'SAME', (1, 1), 2, 3, 1),
    Cfg((7, 6), (2, 3), (2, 1), 'VALID', (1, 2), 1, 2, 2),
    Cfg((6, 7), (3, 2), (3, 2), [(1, 2), (0, 1)], (1, 1), 3, 2, 1),
    Cfg((7, 7), (2, 2), (1, 3), 'SAME', (2, 1), 2, 1, 1),
    Cfg((5, 6), (3, 3), (2, 2), 1, (2, 2), 1, 2, 2),
]
CONFIG_IDS = [str(c) for c in CONFIGS]


def lax_padding(padding, ndim):
  """lib's padding spec in the form lax/flax take: a string or a list of (low, high) pairs."""
  if isinstance(padding, str):
    return padding
  if isinstance(padding, int):
    return [(padding, padding)] * ndim
  return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def pads_of(cfg: Cfg):
  """Explicit (low, high) pads, computed here without lib (SAME via lax's own rule)."""
  pad = lax_padding(cfg.padding, cfg.ndim)
  if isinstance(pad, str):
    span = [(k - 1) * d + 1 for k, d in zip(cfg.kernel, cfg.dilation)]
    return [tuple(p) for p in lax.padtype_to_pads(cfg.grid, span, cfg.strides, pad)]
  return pad


def out_grid_of(cfg: Cfg):
  return tuple((n + lo + hi - ((k - 1) * d + 1)) // s + 1 for n, k, s, d, (lo, hi) in
               zip(cfg.grid, cfg.kernel, cfg.strides, cfg.dilation, pads_of(cfg)))


def dimension_numbers(ndim):
  spatial = 'HWD'[:ndim]
  return ('N' + spatial + 'C', spatial + 'IO', 'N' + spatial + 'C')


def conv_lax(cfg: Cfg, x, kernel):
  """x: [B, *grid, C_in]; kernel: [*k, C_in, C_out] (HWIO)."""
  return lax.conv_general_dilated(x, kernel, cfg.strides, lax_padding(cfg.padding, cfg.ndim),
                                  rhs_dilation=cfg.dilation,
                                  dimension_numbers=dimension_numbers(cfg.ndim),
                                  precision=lax.Precision.HIGHEST)


def conv_flax(cfg: Cfg, x, kernel, bias=None):
  module = nn.Conv(cfg.c_out, cfg.kernel, cfg.strides, lax_padding(cfg.padding, cfg.ndim),
                   kernel_dilation=cfg.dilation, use_bias=bias is not None,
                   precision=lax.Precision.HIGHEST)
  params = {'kernel': kernel} if bias is None else {'kernel': kernel, 'bias': bias}
  return module.apply({'params': params}, x)


def to_flax_local(kernel):
  """lib's Local kernel [*out, *k, C_in, C_out] -> flax ConvLocal's [*out, C_in * prod(k), C_out].

  ConvLocal's features come from conv_general_dilated_patches: channel-major, (C_in, *kernel)
  (verified in test_local_vs_flax.test_flax_convlocal_feature_order).
  """
  c_in, c_out = kernel.shape[-2:]
  ndim = (kernel.ndim - 2) // 2
  out, k = kernel.shape[:ndim], kernel.shape[ndim:2 * ndim]
  blocks = kernel.reshape(*out, math.prod(k), c_in, c_out)
  blocks = jnp.swapaxes(blocks, -3, -2)  # [*out, C_in, K, C_out]
  return blocks.reshape(*out, c_in * math.prod(k), c_out)


def local_flax(cfg: Cfg, x, kernel, bias=None):
  """kernel in lib's Local layout; mapped to flax's inside (so gradients map back)."""
  module = nn.ConvLocal(cfg.c_out, cfg.kernel, cfg.strides, lax_padding(cfg.padding, cfg.ndim),
                        kernel_dilation=cfg.dilation, use_bias=bias is not None,
                        precision=lax.Precision.HIGHEST)
  params = {'kernel': to_flax_local(kernel)}
  if bias is not None:
    params['bias'] = bias
  return module.apply({'params': params}, x)


def local_lax(cfg: Cfg, x, kernel):
  return lax.conv_general_dilated_local(x, to_flax_local(kernel), cfg.strides,
                                        lax_padding(cfg.padding, cfg.ndim), cfg.kernel,
                                        rhs_dilation=cfg.dilation,
                                        dimension_numbers=dimension_numbers(cfg.ndim),
                                        precision=lax.Precision.HIGHEST)


def window_taps(cfg: Cfg):
  """Pure-python window: {q_flat: [(t, p_flat or None)]}, taps in row-major kernel order."""
  pads, out = pads_of(cfg), out_grid_of(cfg)
  table = {}
  for q_flat, q in enumerate(np.ndindex(*out)):
    taps = []
    for t, off in enumerate(np.ndindex(*cfg.kernel)):
      pos = [qi * s + oi * d - lo for qi, oi, s, d, (lo, _) in
             zip(q, off, cfg.strides, cfg.dilation, pads)]
      inside = all(0 <= pi < n for pi, n in zip(pos, cfg.grid))
      taps.append((t, int(np.ravel_multi_index(pos, cfg.grid)) if inside else None))
    table[q_flat] = taps
  return table


def random_like(key, *shapes):
  keys = jax.random.split(key, len(shapes))
  return [jax.random.normal(k, s, jnp.float32) for k, s in zip(keys, shapes)]


def value_and_grads(fn, args, cotangent):
  """fn(*args) -> y; returns (y, grads of <cotangent, y> w.r.t. every arg)."""
  y, vjp = jax.vjp(fn, *args)
  return y, vjp(cotangent)


def all_value_and_grads(fns: dict, args, cotangent):
  """{name: fn} -> {name: (y, grads)}, all under one jit (one compile: fast on a busy CPU)."""

  @jax.jit
  def run(args, cotangent):
    return {name: value_and_grads(fn, args, cotangent) for name, fn in fns.items()}

  return run(args, cotangent)


def assert_all_match(results: dict, reference: str, atol=ATOL):
  """Every entry of `results` equals results[reference]; the failing name is in the message."""
  ref = results[reference]
  for name, got in results.items():
    if name == reference:
      continue
    try:
      chex.assert_trees_all_close(got, ref, atol=atol)
    except AssertionError as e:
      raise AssertionError(f'{name} != {reference}: {e}') from None
