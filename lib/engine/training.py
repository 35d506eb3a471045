"""One whole training run as a pure function: `make_train(model, config) -> train(...)`.

In the style of purejaxrl: initialisation, the optax optimizer, minibatch sampling and evaluation at
intervals are one function of explicit inputs, so `jax.jit(jax.vmap(train))` trains many runs in one
compiled program. The step loop is three nested `lax.scan`s: steps within a progress block (after which
an optional host callback reports progress), blocks within an evaluation interval, and intervals, whose
evaluations are the outer scan's outputs.

A run's training subset is given as an index array padded to a common length `max_n` plus its true
size `n`: minibatch indices are drawn uniformly from the first `n` entries, and the training metrics are
masked means over them, so runs with different `n` share one program. Evaluation runs over fixed-size
batches (`map_batches`), so memory does not grow with the number of examples evaluated.
"""

import dataclasses
import math
import zlib
from collections.abc import Callable

import chex
import jax
import jax.numpy as jnp
import optax

from lib.core.layers import Layer

OPTIMIZERS = ('adam', 'adamw', 'sgd')
SCHEDULES = ('constant', 'cosine')
METRICS = ('train_loss', 'train_accuracy', 'test_loss', 'test_accuracy')


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """How one run trains. Defaults are the MNIST-1D paper's protocol.

  Attributes:
    optimizer: 'adam', 'adamw' (decoupled weight decay) or 'sgd'.
    learning_rate: step size, positive.
    batch_size: examples per step, drawn uniformly with replacement from the run's subset.
    steps: optimizer steps, positive.
    weight_decay: adamw's decoupled decay; for adam and sgd an L2 term added to the gradient.
    eval_every: steps between evaluation points; must divide `steps`.
    schedule: the learning rate over the run: 'constant', or 'cosine' (from `learning_rate` down to 0
      at the last step, optax.cosine_decay_schedule).
  """
  optimizer: str = 'adam'
  learning_rate: float = 1e-2
  batch_size: int = 100
  steps: int = 6000
  weight_decay: float = 0.0
  eval_every: int = 500
  schedule: str = 'constant'

  def validate(self) -> None:
    """Raises ValueError naming the field and value that is out of range."""
    if self.optimizer not in OPTIMIZERS:
      raise ValueError(f'optimizer={self.optimizer!r}: expected one of {OPTIMIZERS}')
    if self.schedule not in SCHEDULES:
      raise ValueError(f'schedule={self.schedule!r}: expected one of {SCHEDULES}')
    for name in ('learning_rate', 'batch_size', 'steps', 'eval_every'):
      value = getattr(self, name)
      if not value > 0:
        raise ValueError(f'{name}={value!r}: must be positive')
    for name in ('batch_size', 'steps', 'eval_every'):
      if not isinstance(getattr(self, name), int):
        raise ValueError(f'{name}={getattr(self, name)!r}: must be an int')
    for name in ('learning_rate', 'weight_decay'):
      if not math.isfinite(getattr(self, name)):
        raise ValueError(f'{name}={getattr(self, name)!r}: must be finite')
    if self.weight_decay < 0:
      raise ValueError(f'weight_decay={self.weight_decay!r}: must be non-negative')
    if self.steps % self.eval_every:
      raise ValueError(f'eval_every={self.eval_every!r}: must divide steps={self.steps!r}')

  @property
  def num_evals(self) -> int:
    return self.steps // self.eval_every

  @property
  def eval_steps(self) -> list[int]:
    """The step count after which each evaluation point is taken."""
    return [self.eval_every * (i + 1) for i in range(self.num_evals)]


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
  """The optax optimizer that `config` names."""
  rate = config.learning_rate
  if config.schedule == 'cosine':
    rate = optax.cosine_decay_schedule(config.learning_rate, config.steps)
  if config.optimizer == 'adamw':
    return optax.adamw(rate, weight_decay=config.weight_decay)
  base = optax.adam if config.optimizer == 'adam' else optax.sgd
  if config.weight_decay:
    return optax.chain(optax.add_decayed_weights(config.weight_decay), base(rate))
  return base(rate)


def identity_tag(name: str) -> int:
  """A stable 31-bit integer for a string (a run's architecture), to fold into its key."""
  return zlib.crc32(name.encode()) & 0x7FFFFFFF


def run_key(seed, tag: int, n) -> jax.Array:
  """The key of one run, from its identity alone: `fold_in(fold_in(PRNGKey(seed), tag), n)`."""
  return jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), tag), n)


def map_batches(fn: Callable, x, batch_size: int):
  """`fn` over fixed-size batches of the leading axis of `x`, inside a compiled program.

  Args:
    fn: maps a pytree of `[batch_size, ...]` arrays to a pytree of `[batch_size, ...]` arrays.
    x: a pytree of `[N, ...]` arrays (the same N).
    batch_size: examples per call of `fn`; the last batch is padded by repeating example 0.

  Returns:
    `fn`'s outputs for all N examples, `[N, ...]`: one `lax.map` over `ceil(N / batch_size)` batches, so
    only one batch of activations is live at a time.
  """
  num = jax.tree.leaves(x)[0].shape[0]
  size = min(batch_size, num)
  batches = -(-num // size)

  def split(a):
    pad = jnp.concatenate([a, jnp.broadcast_to(a[:1], (batches * size - num, *a.shape[1:]))])
    return pad.reshape(batches, size, *a.shape[1:])

  out = jax.lax.map(fn, jax.tree.map(split, x))
  return jax.tree.map(lambda a: a.reshape(batches * size, *a.shape[2:])[:num], out)


def _loss_and_correct(apply, params, x, y, loss=None):
  """Per-example loss `[batch]` (`loss(logits, y)`, default cross-entropy) and correctness `[batch]`."""
  logits = apply(params, x)
  loss = optax.softmax_cross_entropy_with_integer_labels if loss is None else loss
  return loss(logits, y), (jnp.argmax(logits, -1) == y).astype(jnp.float32)


def progress_block(eval_every: int, most: int = 100) -> int:
  """Steps between progress reports: the largest divisor of `eval_every` that is at most `most`."""
  return max(d for d in range(1, min(eval_every, most) + 1) if eval_every % d == 0)


def make_train(model: Layer, config: TrainConfig, tag: int = 0, *, augment: Callable | None = None,
               evaluate: Callable | None = None, optimizer: optax.GradientTransformation | None = None,
               init: Callable | None = None, eval_batch_size: int = 500,
               progress: Callable | None = None, sample: Callable | None = None,
               loss: Callable | None = None, track: Callable | None = None):
  """Builds the pure function that trains one run of `model` under `config`.

  Args:
    model: the network; `model.apply(params, x [batch, *grid, C]) -> logits [batch, classes]`.
    config: a validated TrainConfig.
    tag: folded into every run's key (e.g. `identity_tag(arch)`), so runs of different architectures
      with the same seed and n start from unrelated keys.
    augment: optional `augment(key, x [batch, *grid, C]) -> x`, applied to every training minibatch.
    evaluate: optional `evaluate(params, data) -> {name: array}`, applied to the final parameters;
      its outputs join the returned metrics.
    optimizer: replaces the optax optimizer that `config` names (its learning rate etc. are then the
      optimizer's own).
    init: optional `init(key, in_shape) -> params`, replacing `model.init`.
    eval_batch_size: examples per evaluation batch.
    progress: optional host function `progress(steps_done)`, called (through `jax.debug.callback`)
      after every `progress_block(config.eval_every)` steps, with the steps this run has done.
    sample: optional `sample(key, batch_size) -> (x, y)`, online learning: every step trains on
      fresh examples drawn in the program from that step's key, instead of the run's subset (which
      then only serves the train metrics).
    loss: optional per-example `loss(logits [batch, classes], y [batch]) -> [batch]`, replacing
      cross-entropy in training and in the loss metrics.
    track: optional `track(params) -> {name: array}`, evaluated with the metrics at every
      evaluation point; its outputs join the metrics as `[num_evals, ...]`.

  Returns:
    `train(seed, n, subset, data) -> metrics`, where
      seed: int32 scalar, the run's seed.
      n: int32 scalar, the run's training-set size, `1 <= n <= max_n`.
      subset: `[max_n]` int32 indices into `data['x_train']`; only the first `n` are used.
      data: `{'x_train': [N, *grid, C], 'y_train': [N], 'x_test': [M, *grid, C], 'y_test': [M]}`.
      metrics: `{name: [num_evals] float32}` for each of METRICS, at `config.eval_steps`, plus the
        outputs of `evaluate`.
  """
  config.validate()
  optimizer = optimizer if optimizer is not None else make_optimizer(config)
  init = init if init is not None else (lambda key, shape: model.init(key, shape)[1])
  apply = model.apply
  block = progress_block(config.eval_every)

  def train(seed, n, subset, data):
    chex.assert_rank([seed, n, subset], [0, 0, 1])
    key = run_key(seed, tag, n)
    init_key, batch_key = jax.random.split(key)
    params = init(init_key, data['x_train'].shape[1:])
    opt_state = optimizer.init(params)
    used = jnp.arange(subset.shape[0]) < n  # [max_n]

    def loss_fn(params, x, y):
      return _loss_and_correct(apply, params, x, y, loss)[0].mean()

    def step(carry, step_key):
      params, opt_state = carry
      if sample is None:
        rows = subset[jax.random.randint(step_key, (config.batch_size,), 0, n)]
        x, y = data['x_train'][rows], data['y_train'][rows]
      else:
        x, y = sample(step_key, config.batch_size)
      if augment is not None:
        x = augment(jax.random.fold_in(step_key, 1), x)
      grads = jax.grad(loss_fn)(params, x, y)
      updates, opt_state = optimizer.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), None

    def metrics_at(params):
      rows = jnp.where(used, subset, subset[0])
      count = jnp.maximum(used.sum(), 1)
      train_loss, train_correct = map_batches(
          lambda r: _loss_and_correct(apply, params, data['x_train'][r], data['y_train'][r], loss),
          rows, eval_batch_size)
      num_test = data['y_test'].shape[0]
      test_loss, test_correct = map_batches(
          lambda b: _loss_and_correct(apply, params, *b, loss), (data['x_test'], data['y_test']),
          eval_batch_size)
      return {'train_loss': jnp.where(used, train_loss, 0).sum() / count,
              'train_accuracy': jnp.where(used, train_correct, 0).sum() / count,
              'test_loss': test_loss.sum() / num_test, 'test_accuracy': test_correct.sum() / num_test,
              **(track(params) if track is not None else {})}

    def run_block(carry, inputs):
      block_index, keys = inputs
      carry, _ = jax.lax.scan(step, carry, keys)
      if progress is not None:
        jax.debug.callback(progress, (block_index + 1) * block)
      return carry, None

    def interval(carry, inputs):
      interval_index, interval_key = inputs
      step_keys = jax.random.split(interval_key, config.eval_every)
      blocks = config.eval_every // block
      first = interval_index * blocks
      carry, _ = jax.lax.scan(run_block, carry, (first + jnp.arange(blocks),
                                                 step_keys.reshape(blocks, block, *step_keys.shape[1:])))
      return carry, metrics_at(carry[0])

    interval_keys = jax.random.split(batch_key, config.num_evals)
    (params, _), metrics = jax.lax.scan(interval, (params, opt_state),
                                        (jnp.arange(config.num_evals), interval_keys))
    if evaluate is not None:
      metrics.update(evaluate(params, data))
    return metrics

  return train
