"""Initialisers that draw every parameter of a model from one random call.

`Layer.init` draws each layer's kernel and bias separately; on XLA's CPU backend each draw is its own
random-number kernel to compile, so a deep model's training program spends most of its compile time on
initialisation (a 32-layer stack: about 30 s of a 35 s compile on a loaded 2-core machine, against 5 s
with one draw). These return engine init hooks, `init(key, in_shape) -> params`, that draw once and
split.
"""

import math
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from lib.core.layers import Layer


def _pattern_leaves(shapes):
  return jax.tree_util.tree_flatten(shapes, is_leaf=lambda n: isinstance(n, dict) and 'kernel' in n)


def _one_draw(model: Layer, sample: Callable, scale: Callable, zero_bias: bool):
  """An init hook: every pattern layer's arrays from one draw of `sample(key, total)`.

  Args:
    model: the model.
    sample: `(key, count) -> [count]` standard draws.
    scale: `PatternInfo -> float`, multiplied onto that layer's draws.
    zero_bias: biases are zero (else drawn like the kernel).
  """

  def init(key, in_shape):
    in_shape = tuple(in_shape)
    shapes = jax.eval_shape(lambda k: model.init(k, in_shape)[1], key)
    _, infos = model.describe(in_shape)
    leaves, treedef = _pattern_leaves(shapes)
    names = [[name for name in ('kernel', 'bias') if name in leaf and not (
        zero_bias and name == 'bias')] for leaf in leaves]
    sizes = [math.prod(leaf[name].shape) for leaf, mine in zip(leaves, names) for name in mine]
    draws = iter(jnp.split(sample(key, sum(sizes)), np.cumsum(sizes)[:-1]))
    out = []
    for info, leaf, mine in zip(infos, leaves, names):
      arrays = {name: scale(info) * next(draws).reshape(leaf[name].shape) for name in mine}
      if zero_bias and 'bias' in leaf:
        arrays['bias'] = jnp.zeros(leaf['bias'].shape, leaf['bias'].dtype)
      out.append(arrays)
    return jax.tree_util.tree_unflatten(treedef, out)

  return init


def fan_in_uniform(model: Layer):
  """The layers' own initialisation (uniform in +-1/sqrt(fan_in), fan_in = taps * C_in, kernels and
  biases alike, as `layers.pattern_layer`), from one draw."""
  sample = lambda key, count: jax.random.uniform(key, (count,), minval=-1.0, maxval=1.0)
  return _one_draw(model, sample, lambda info: 1.0 / math.sqrt(info.pattern.taps * info.c_in),
                   zero_bias=False)


def he_normal(model: Layer):
  """He initialisation: normal kernels of std sqrt(2 / fan_in), zero biases, from one draw.

  Keeps the activations' scale through deep ReLU stacks.
  """
  sample = lambda key, count: jax.random.normal(key, (count,))
  return _one_draw(model, sample, lambda info: math.sqrt(2.0 / (info.pattern.taps * info.c_in)),
                   zero_bias=True)
