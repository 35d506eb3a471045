"""Pure-function layers in the style of stax: each is a `Layer(init, apply, describe)`.

- `init(key, in_shape) -> (out_shape, params)`; shapes exclude the batch: `(*grid, channels)`.
- `apply(params, x) -> y` with `x` of shape `[batch, *grid, channels]`.
- `describe(in_shape) -> (out_shape, infos)`: the connectivity patterns the layer applies, for
  counting (`lib.core.counting`) and drawing, without initialising anything.

Fully connected, locally connected and convolutional layers are the same `pattern_layer` with three
patterns; they differ in no line of contraction code.
"""

import dataclasses
import functools
import math
from typing import Callable, NamedTuple, Sequence

import chex
import jax
from flax import linen

from lib.core import patterns
from lib.core.contraction import apply_pattern
from lib.core.patterns import Pattern, Sharing

Shape = tuple[int, ...]


class Layer(NamedTuple):
  """`init(key, in_shape) -> (out_shape, params)`, `apply(params, x) -> y`, `describe(in_shape)`."""
  init: Callable
  apply: Callable
  describe: Callable


@dataclasses.dataclass(frozen=True)
class PatternInfo:
  """One pattern layer as `describe` reports it: `pattern` maps `c_in` to `c_out` channels.

  `form` and `method` are what the layer asks `lib.core.contraction.apply_pattern` for;
  `contraction.executed(info)` names what then runs on this platform.
  """
  name: str
  pattern: Pattern
  c_in: int
  c_out: int
  use_bias: bool
  form: str = 'factored'
  method: str = 'auto'


def _split(in_shape: Sequence[int], name: str) -> tuple[Shape, int]:
  in_shape = tuple(in_shape)
  if not in_shape:
    raise ValueError(f'{name}: in_shape=() has no channel axis; expected (*grid, channels)')
  return in_shape[:-1], in_shape[-1]


def pattern_layer(name: str, make_pattern: Callable[[Shape], Pattern], out_channels: int,
                  kernel_shape: Callable[[Pattern], Shape], *, use_bias: bool = True,
                  form: str = 'factored', method: str = 'auto') -> Layer:
  """A layer that applies one connectivity pattern.

  Parameters: 'kernel' of shape `kernel_shape(pattern) + (C_in, C_out)` (it reshapes to the blocks
  `[K, C_in, C_out]`) and 'bias': `[C_out]` when tied, `[*out_grid, C_out]` when untied. Weights and
  biases start uniform in +-1/sqrt(fan_in), fan_in = taps * C_in (PyTorch's default).

  Args:
    name: used in error messages and descriptions.
    make_pattern: in_grid -> Pattern; validates its arguments.
    out_channels: C_out.
    kernel_shape: the kernel's leading axes for a pattern, their product being K.
    use_bias: add a bias.
    form: 'factored' or 'materialized' (see `lib.core.contraction`).
    method: the factored execution.
  """
  if not isinstance(out_channels, int) or out_channels < 1:
    raise ValueError(f'{name}: out_channels={out_channels!r} must be a positive int')
  make_pattern = functools.lru_cache(maxsize=None)(make_pattern)

  def describe(in_shape):
    grid, c_in = _split(in_shape, name)
    pattern = make_pattern(grid)
    return (*pattern.out_grid, out_channels), (PatternInfo(name, pattern, c_in, out_channels,
                                                           use_bias, form, method),)

  def init(key, in_shape):
    out_shape, (info,) = describe(in_shape)
    pattern = info.pattern
    bound = 1.0 / math.sqrt(pattern.taps * info.c_in)
    k_key, b_key = jax.random.split(key)
    params = {'kernel': jax.random.uniform(k_key, (*kernel_shape(pattern), info.c_in, out_channels),
                                           minval=-bound, maxval=bound)}
    if use_bias:
      bias_shape = (out_channels,) if pattern.sharing is Sharing.TIED else out_shape
      params['bias'] = jax.random.uniform(b_key, bias_shape, minval=-bound, maxval=bound)
    return out_shape, params

  def apply(params, x):
    if x.ndim < 2:
      raise ValueError(f'{name}: x.shape={x.shape}, expected [batch, *grid, channels]')
    pattern = make_pattern(tuple(x.shape[1:-1]))
    c_in, kernel = x.shape[-1], params['kernel']
    if kernel.shape[:-2] != kernel_shape(pattern):
      raise ValueError(f'{name}: kernel.shape={kernel.shape} does not fit x.shape={x.shape}; '
                       f'expected {kernel_shape(pattern)} + (C_in, C_out)')
    theta = kernel.reshape(pattern.num_blocks, *kernel.shape[-2:])
    y = apply_pattern(pattern, theta, x.reshape(x.shape[0], pattern.n_in, c_in), form=form,
                      method=method)
    y = y.reshape(x.shape[0], *pattern.out_grid, out_channels)
    if use_bias:
      y = y + params['bias']
    return y

  return Layer(init, apply, describe)


def Conv(out_channels: int, kernel_size, strides=1, padding='SAME', dilation=1, **kwargs) -> Layer:
  """Convolution: masked and tied. Kernel `[*kernel_size, C_in, C_out]` (flax.linen.Conv's layout)."""
  return pattern_layer(
      'Conv', lambda grid: patterns.convolution(grid, kernel_size, strides, padding, dilation),
      out_channels, lambda p: p.window.kernel, **kwargs)


def Local(out_channels: int, kernel_size, strides=1, padding='SAME', dilation=1,
          **kwargs) -> Layer:
  """Locally connected: masked, untied. Kernel `[*out_grid, *kernel_size, C_in, C_out]`."""
  return pattern_layer(
      'Local', lambda grid: patterns.locally_connected(grid, kernel_size, strides, padding, dilation),
      out_channels, lambda p: (*p.out_grid, *p.window.kernel), **kwargs)


def Dense(units: int, out_grid: Sequence[int] = (), **kwargs) -> Layer:
  """Fully connected over every position and channel. Kernel `[*out_grid, *in_grid, C_in, units]`.

  With `out_grid=()` this is the usual dense layer: `[batch, *grid, C] -> [batch, units]`. With the
  out_grid of a convolution it is that convolution's vanilla (unmasked, untied) counterpart.
  """
  return pattern_layer('Dense', lambda grid: patterns.fully_connected(grid, out_grid), units,
                       lambda p: (*p.out_grid, *p.in_grid), **kwargs)


def stateless(name: str, fn: Callable, out_shape: Callable[[Shape], Shape]) -> Layer:
  """A layer without parameters: `fn(x)`; `out_shape(in_shape)` validates and infers its shape."""

  def describe(in_shape):
    return out_shape(tuple(in_shape)), ()

  def init(key, in_shape):
    del key
    return out_shape(tuple(in_shape)), {}

  def apply(params, x):
    del params
    out_shape(tuple(x.shape[1:]))
    return fn(x)

  return Layer(init, apply, describe)


def Activation(fn: Callable[[jax.Array], jax.Array], name: str = 'Activation') -> Layer:
  """Elementwise nonlinearity."""
  return stateless(name, fn, lambda s: s)


Relu = Activation(jax.nn.relu, 'Relu')


def AvgPool(window, strides=None, padding='VALID') -> Layer:
  """Average pooling over each window (`flax.linen.avg_pool`); strides default to the window."""
  strides = window if strides is None else strides

  def out_shape(in_shape):
    grid, channels = _split(in_shape, 'AvgPool')
    # The window's own validation and output size are those of a convolution pattern.
    _, out_grid = patterns.make_window(grid, window, strides, padding)
    return (*out_grid, channels)

  def fn(x):
    w, _ = patterns.make_window(x.shape[1:-1], window, strides, padding)
    return linen.avg_pool(x, w.kernel, w.strides, w.pads)

  return stateless('AvgPool', fn, out_shape)


def _global_avg_shape(in_shape):
  _, channels = _split(in_shape, 'GlobalAvgPool')
  return (channels,)


GlobalAvgPool = stateless('GlobalAvgPool', lambda x: x.mean(axis=tuple(range(1, x.ndim - 1))),
                           _global_avg_shape)

Flatten = stateless('Flatten', lambda x: x.reshape(x.shape[0], -1),
                     lambda s: (math.prod(s),))


def serial(*layers: Layer) -> Layer:
  """Composes layers left to right; params are a tuple, one entry per layer."""

  def describe(in_shape):
    infos = ()
    for layer in layers:
      in_shape, more = layer.describe(in_shape)
      infos += more
    return in_shape, infos

  def init(key, in_shape):
    params = []
    for layer, k in zip(layers, jax.random.split(key, len(layers))):
      in_shape, p = layer.init(k, in_shape)
      params.append(p)
    return in_shape, tuple(params)

  def apply(params, x):
    chex.assert_equal(len(params), len(layers))
    for layer, p in zip(layers, params):
      x = layer.apply(p, x)
    return x

  return Layer(init, apply, describe)


def residual(layer: Layer) -> Layer:
  """`x + layer(x)`; the layer must keep the shape."""

  def describe(in_shape):
    out_shape, infos = layer.describe(in_shape)
    if tuple(out_shape) != tuple(in_shape):
      raise ValueError(f'residual: the layer maps {tuple(in_shape)} to {out_shape}; shapes must match')
    return out_shape, infos

  def init(key, in_shape):
    describe(in_shape)
    return layer.init(key, in_shape)

  def apply(params, x):
    return x + layer.apply(params, x)

  return Layer(init, apply, describe)
