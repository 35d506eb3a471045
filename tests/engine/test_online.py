"""Online learning in make_train: a fresh minibatch from every step's key, a custom loss, tracking."""

import jax
import jax.numpy as jnp
import numpy as np

from lib.core import layers
from lib.engine import training

CONFIG = training.TrainConfig(optimizer='sgd', learning_rate=0.1, batch_size=2, steps=12,
                              eval_every=4)
DATA = {'x_train': np.zeros((3, 4, 1), np.float32), 'y_train': np.zeros(3, np.int32),
        'x_test': np.zeros((5, 4, 1), np.float32), 'y_test': np.zeros(5, np.int32)}


def _run(seen: list, **hooks):
  """Trains a Dense(2) on 4-position inputs; `seen` collects every training minibatch."""

  def sample(key, batch):
    x = jax.random.normal(key, (batch, 4, 1))
    jax.debug.callback(lambda v: seen.append(np.asarray(v)), x, ordered=True)
    return x, jnp.zeros(batch, jnp.int32)

  model = layers.serial(layers.Flatten, layers.Dense(2))
  train = training.make_train(model, CONFIG, sample=sample, **hooks)
  return jax.jit(train)(np.int32(0), np.int32(3), np.arange(3, dtype=np.int32), DATA)


def test_every_step_trains_on_fresh_examples():
  seen = []
  _run(seen)
  examples = np.concatenate(seen).reshape(-1, 4)
  assert examples.shape == (CONFIG.steps * CONFIG.batch_size, 4)
  assert len(np.unique(examples.round(6), axis=0)) == len(examples)  # no example seen twice
  assert not np.any(np.all(examples == 0, -1))  # none from the (all-zero) training arrays


def test_custom_loss_and_tracking_join_the_metrics():
  seen = []
  squared = lambda logits, y: jnp.sum(logits ** 2, -1)
  norms = lambda params: {'norm': jnp.sqrt(sum(jnp.sum(p['kernel'] ** 2) for p in params if p))}
  metrics = _run(seen, loss=squared, track=norms)
  assert metrics['norm'].shape == (CONFIG.num_evals,)
  assert np.all(np.diff(np.asarray(metrics['norm'])) < 0)  # the squared loss shrinks the weights
  losses = np.asarray(metrics['test_loss'])  # zero test inputs: the squared bias, not cross-entropy
  assert losses.max() < 0.1  # cross-entropy of near-zero logits would be near log 2
