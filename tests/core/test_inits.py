"""One-draw initialisers: the layers' shapes, the intended scales, keys that matter."""

import chex
import jax
import numpy as np

from lib.core import inits, layers, models

IN_SHAPE = (40, 1)


def _model():
  return layers.serial(layers.Conv(8, 3), layers.Relu, layers.Local(4, 5, 2), layers.Relu,
                       layers.Flatten, layers.Dense(10))


def test_shapes_match_the_models_own_init():
  model = _model()
  own = jax.eval_shape(lambda k: model.init(k, IN_SHAPE)[1], jax.random.key(0))
  for make in (inits.fan_in_uniform, inits.he_normal):
    mine = jax.eval_shape(lambda k, make=make: make(model)(k, IN_SHAPE), jax.random.key(0))
    chex.assert_trees_all_equal_shapes_and_dtypes(mine, own)


def test_scales_follow_fan_in():
  model = models.build('cnn', num_classes=10, depth=2, width=64, kernel_size=3)
  draw = jax.jit(lambda k: (inits.fan_in_uniform(model)(k, IN_SHAPE),
                            inits.he_normal(model)(k, IN_SHAPE)))
  uniform, normal = draw(jax.random.key(1))
  second = 3 * 64  # taps * C_in of the second convolution
  kernel = np.asarray(uniform[2]['kernel'])
  assert np.abs(kernel).max() <= 1 / np.sqrt(second) and np.abs(kernel).max() > 0.9 / np.sqrt(second)
  assert np.asarray(uniform[2]['bias']).std() > 0
  assert abs(np.asarray(normal[2]['kernel']).std() - np.sqrt(2 / second)) < 0.01
  assert not np.asarray(normal[2]['bias']).any()
  other, _ = draw(jax.random.key(2))
  assert not np.allclose(other[0]['kernel'], uniform[0]['kernel'])
