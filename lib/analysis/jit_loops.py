"""The usual JAX training loop, the engine's peer: a jitted step called from Python, minibatches
sampled by NumPy, one model at a time or several vmapped through one step.

`loop_model('flax')` is the MNIST-1D paper's CNN in plain Flax (`models.FlaxMnist1dCnn`);
`loop_model('ours')` the engine's model. Vmapped over runs, a Flax convolution with per-run kernels
becomes a grouped convolution in XLA; that is what a researcher training many small models this way
gets.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lib.core import models
from lib.engine import protocols, training

LAYERS = ('ours', 'flax')


def loop_model(layers: str, num_classes: int, method: str) -> tuple:
  """`(init(key, in_shape) -> params, apply(params, x))` of the loop's CNN: 'ours' or 'flax'."""
  if layers == 'ours':
    model = protocols.model('cnn', 'mnist1d', num_classes, method)
    return (lambda key, in_shape: model.init(key, in_shape)[1]), model.apply
  module = models.FlaxMnist1dCnn(num_classes)
  return (lambda key, in_shape: module.init(key, jnp.zeros((1, *in_shape)))), module.apply


def loop_trainer(data, layers: str, runs: int, vmapped: bool, config: training.TrainConfig,
                 method: str = 'auto'):
  """Compiles the loop's step, to be called once per training step from Python.

  Args:
    data: the dataset (`x_train [n, 40, 1]`, ...).
    layers: 'ours' or 'flax' (`loop_model`).
    runs: models to train.
    vmapped: all `runs` at once through one vmapped step on the default device (sharding its runs
      over 2 CPU devices measured 2-3x slower), else one model after the other.
    config: the protocol (optimizer, batch size, steps).
    method: the factored contraction of 'ours'.

  Returns:
    `(compile_s, train)`: `train()` trains the `runs` models and returns `(seconds, test accuracies)`.
  """
  init, apply = loop_model(layers, data.num_classes, method)
  optimizer = training.make_optimizer(config)

  def step(params, opt_state, x, y):
    loss = lambda p: optax.softmax_cross_entropy_with_integer_labels(apply(p, x), y).mean()
    updates, opt_state = optimizer.update(jax.grad(loss)(params), opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  def accuracy(params, x, y):
    return (jnp.argmax(apply(params, x), -1) == y).mean()

  width = runs if vmapped else 1
  batched = (lambda fn, axes: jax.jit(jax.vmap(fn, axes))) if vmapped else (lambda fn, _: jax.jit(fn))
  step, accuracy = batched(step, (0, 0, 0, 0)), batched(accuracy, (0, None, None))
  x_train, y_train, batch = data.x_train, data.y_train, config.batch_size
  in_shape = x_train.shape[1:]

  def start(seeds):
    keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
    make = lambda key: init(key, in_shape)
    params = jax.vmap(make)(keys) if vmapped else make(keys[0])
    return params, (jax.vmap(optimizer.init) if vmapped else optimizer.init)(params)

  def minibatch(rng):
    rows = rng.integers(0, len(x_train), (width, batch) if vmapped else batch)
    return x_train[rows], y_train[rows]

  tic = time.time()
  params, opt_state = start(range(width))
  jax.block_until_ready(step(params, opt_state, *minibatch(np.random.default_rng(0))))
  jax.block_until_ready(accuracy(params, data.x_test, data.y_test))
  compile_s = time.time() - tic

  def train():
    accuracies, tic = [], time.time()
    for first in range(0, runs, width):
      rng = np.random.default_rng(first)
      params, opt_state = start(range(first, first + width))
      for _ in range(config.steps):
        params, opt_state = step(params, opt_state, *minibatch(rng))
      accuracies += np.atleast_1d(np.asarray(accuracy(params, data.x_test, data.y_test))).tolist()
    return time.time() - tic, accuracies

  return compile_s, train
