"""Bad input: a ValueError that names the argument and its value, raised before anything is traced.

The tripwire fixture replaces the jax modules lib.core.contraction and lib.core.layers compute with, so an
error raised only after tracing began surfaces as a tripwire AssertionError, not the ValueError.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lib.core.contraction
import lib.core.layers
from lib.core import layers, models, patterns
from lib.core.contraction import apply_pattern


class _Tripwire:

  def __init__(self, name):
    self._name = name

  def __getattr__(self, attr):
    raise AssertionError(f'{self._name}.{attr} used before the arguments were validated')


@pytest.fixture
def tripwire(monkeypatch):
  monkeypatch.setattr(lib.core.contraction, 'jnp', _Tripwire('jnp'))
  monkeypatch.setattr(lib.core.contraction, 'lax', _Tripwire('lax'))
  monkeypatch.setattr(lib.core.contraction, 'jax', _Tripwire('jax'))
  monkeypatch.setattr(lib.core.layers, 'jax', _Tripwire('jax'))


@pytest.mark.parametrize('kwargs,match', [
    (dict(in_grid=(4,), kernel_size=6, padding='VALID'), r'kernel_size=\(6,\)'),
    (dict(in_grid=(4,), kernel_size=7, padding=1), r'kernel_size=\(7,\)'),
    (dict(in_grid=(5,), kernel_size=3, padding=0, dilation=3), r'kernel_size=\(3,\).*span 7'),
    (dict(in_grid=(6, 3), kernel_size=(2, 4), padding='VALID'), r'kernel_size=\(2, 4\)'),
    (dict(in_grid=(8,), kernel_size=3, strides=0), r'strides=\(0,\)'),
    (dict(in_grid=(8, 8), kernel_size=3, strides=(1, -1)), r'strides=\(1, -1\)'),
    (dict(in_grid=(8,), kernel_size=3, dilation=0), r'dilation=\(0,\)'),
    (dict(in_grid=(8,), kernel_size=0), r'kernel_size=\(0,\)'),
    (dict(in_grid=(8,), kernel_size=3, padding=-1), r'padding=-1'),
    (dict(in_grid=(8,), kernel_size=3, padding=[(1, -2)]), r'padding=\[\(1, -2\)\]'),
    (dict(in_grid=(8,), kernel_size=3, padding='FULL'), r"padding='FULL'"),
    (dict(in_grid=(8,), kernel_size=3, padding='circular'), r"padding='circular'"),
    (dict(in_grid=(8,), kernel_size=(3, 3)), r'kernel_size=\(3, 3\)'),
    (dict(in_grid=(8, 8), kernel_size=3, padding=[1, 1, 1]), r'padding=\[1, 1, 1\]'),
    (dict(in_grid=(8,), kernel_size=3, padding=[(1, 2, 3)]), r'padding=\[\(1, 2, 3\)\]'),
    (dict(in_grid=(0,), kernel_size=1), r'in_grid=\(0,\)'),
])
@pytest.mark.parametrize('maker', [patterns.convolution, patterns.locally_connected])
def test_bad_window_arguments(maker, kwargs, match):
  with pytest.raises(ValueError, match=match):
    maker(**kwargs)


@pytest.mark.parametrize('layer_fn', [layers.Conv, layers.Local])
@pytest.mark.parametrize('args,match', [
    (dict(kernel_size=9, padding='VALID'), r'kernel_size=\(9,\)'),
    (dict(kernel_size=3, strides=0), r'strides=\(0,\)'),
    (dict(kernel_size=3, dilation=0), r'dilation=\(0,\)'),
    (dict(kernel_size=3, padding=-2), r'padding=-2'),
    (dict(kernel_size=3, padding='FULL'), r"padding='FULL'"),
])
def test_bad_layer_arguments_fail_at_init(tripwire, layer_fn, args, match):
  layer = layer_fn(2, **args)
  with pytest.raises(ValueError, match=match):
    layer.init(jax.random.key(0), (8, 1))
  with pytest.raises(ValueError, match=match):
    layer.describe((8, 1))


def _operands():
  pattern = patterns.convolution((8,), 3)
  return pattern, np.ones((3, 2, 4), np.float32), np.ones((1, 8, 2), np.float32)


@pytest.mark.parametrize('change,match', [
    (dict(x=np.ones((2, 8), np.float32)), r'x\.shape=\(2, 8\)'),
    (dict(x=np.ones((1, 1, 8, 2), np.float32)), r'x\.shape=\(1, 1, 8, 2\)'),
    (dict(theta=np.ones((3, 8), np.float32)), r'theta\.shape=\(3, 8\)'),
    (dict(x=np.ones((1, 7, 2), np.float32)), r'x\.shape=\(1, 7, 2\)'),
    (dict(theta=np.ones((5, 2, 4), np.float32)), r'theta\.shape=\(5, 2, 4\)'),
    (dict(x=np.ones((1, 8, 3), np.float32)),
     r'channel mismatch.*theta\.shape=\(3, 2, 4\).*x\.shape=\(1, 8, 3\)'),
    (dict(form='dense'), r"form='dense'"),
    (dict(method='im2col'), r"method='im2col'"),
])
def test_bad_operands(tripwire, change, match):
  pattern, theta, x = _operands()
  kwargs = dict(x=x, theta=theta)
  kwargs.update(change)
  with pytest.raises(ValueError, match=match):
    apply_pattern(pattern, **kwargs)


def test_bad_operands_under_jit_are_still_value_errors():
  pattern, theta, _ = _operands()
  f = jax.jit(lambda th, x: apply_pattern(pattern, th, x))
  with pytest.raises(ValueError, match=r'channel mismatch'):
    f(jnp.asarray(theta), jnp.ones((1, 8, 3)))


def test_layer_channel_mismatch_and_rank():
  layer = layers.Conv(4, 3)
  _, params = layer.init(jax.random.key(0), (8, 2))
  with pytest.raises(ValueError, match=r'channel mismatch.*x\.shape=\(1, 8, 3\)'):
    layer.apply(params, jnp.ones((1, 8, 3)))
  with pytest.raises(ValueError, match=r'x\.shape=\(8,\)'):
    layer.apply(params, jnp.ones((8,)))
  # A 2-D input to a layer initialised for 1-D: the kernel no longer fits.
  with pytest.raises(ValueError, match=r'kernel\.shape=\(3, 2, 4\)'):
    layer.apply(params, jnp.ones((1, 8, 8, 2)))
  local = layers.Local(4, 3)
  _, params = local.init(jax.random.key(0), (8, 2))
  with pytest.raises(ValueError, match=r'kernel\.shape=\(8, 3, 2, 4\)'):
    local.apply(params, jnp.ones((1, 9, 2)))


@pytest.mark.parametrize('form,method,match', [('dense', 'auto', r"form='dense'"),
                                               ('factored', 'im2col', r"method='im2col'")])
def test_layer_unknown_form_or_method(form, method, match):
  layer = layers.Conv(2, 3, form=form, method=method)
  _, params = layer.init(jax.random.key(0), (8, 1))
  with pytest.raises(ValueError, match=match):
    layer.apply(params, jnp.ones((1, 8, 1)))


@pytest.mark.parametrize('value', [0, -1, 2.0])
def test_out_channels(value):
  with pytest.raises(ValueError, match=rf'out_channels={value!r}'):
    layers.Conv(value, 3)


@pytest.mark.parametrize('kwargs,match', [
    (dict(family='rnn'), r"family='rnn'"),
    (dict(family='cnn', readout='max'), r"readout='max'"),
    (dict(family='fc', readout='gap'), r"readout='gap'"),
    (dict(family='cnn', depth=0), r'depth=0'),
    (dict(family='cnn', depth=2, kernel_size=[3, 3, 3]), r'kernel_size=\[3, 3, 3\]'),
])
def test_build_arguments(kwargs, match):
  with pytest.raises(ValueError, match=match):
    models.build(num_classes=3, **kwargs).init(jax.random.key(0), (8, 1))


def test_by_name_unknown():
  with pytest.raises(ValueError, match=r"model='resnet'"):
    models.by_name('resnet')


def test_pool_bad_window():
  with pytest.raises(ValueError, match=r'kernel_size=\(9,\)'):
    layers.AvgPool(9).init(None, (8, 1))
  with pytest.raises(ValueError, match=r'padding=-1'):
    layers.AvgPool(2, padding=-1).init(None, (8, 1))


@pytest.mark.parametrize('name', ['kernel_size', 'strides', 'dilation'])
def test_non_integer_scalar_is_a_value_error(name):
  kwargs = dict(in_grid=(8,), kernel_size=3)
  kwargs[name] = 2.5
  with pytest.raises(ValueError, match=rf'{name}=2\.5'):
    patterns.convolution(**kwargs)


def test_pool_zero_stride():
  with pytest.raises(ValueError, match=r'strides=\(0,\)'):
    layers.AvgPool(2, strides=0).init(None, (8, 1))


def test_tripwire_has_teeth(tripwire):
  """A valid call does reach the tripwire, so the tests above would notice late validation."""
  pattern, theta, x = _operands()
  with pytest.raises(AssertionError, match='before the arguments were validated'):
    apply_pattern(pattern, theta, x)
  with pytest.raises(AssertionError, match='before the arguments were validated'):
    layers.Conv(2, 3).init(np.zeros(2, np.uint32), (8, 1))
