"""One whole training run as a pure function: `make_train(model, config) -> train(...)`.

In the style of purejaxrl: initialisation, the optax optimizer, minibatch sampling and evaluation at
intervals are one function of explicit inputs, so `jax.jit(jax.vmap(train))` trains many runs in one
compiled program. The step loop is a `lax.scan` (steps between evaluations) inside a `lax.scan`
(evaluation points), and the evaluation points are the outer scan's outputs.

A run's training subset is given as an index array padded to a common length `max_n` plus its true
size `n`: minibatch indices are drawn uniformly from the first `n` entries, and the training metrics are
masked means over them, so runs with different `n` share one program.
"""

import dataclasses
import zlib

import chex
import jax
import jax.numpy as jnp
import optax

from lib.core.layers import Layer

OPTIMIZERS = ('adam', 'adamw', 'sgd')
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
  """
  optimizer: str = 'adam'
  learning_rate: float = 1e-2
  batch_size: int = 100
  steps: int = 6000
  weight_decay: float = 0.0
  eval_every: int = 500

  def validate(self) -> None:
    """Raises ValueError naming the field and value that is out of range."""
    if self.optimizer not in OPTIMIZERS:
      raise ValueError(f'optimizer={self.optimizer!r}: expected one of {OPTIMIZERS}')
    for name in ('learning_rate', 'batch_size', 'steps', 'eval_every'):
      value = getattr(self, name)
      if not value > 0:
        raise ValueError(f'{name}={value!r}: must be positive')
    for name in ('batch_size', 'steps', 'eval_every'):
      if not isinstance(getattr(self, name), int):
        raise ValueError(f'{name}={getattr(self, name)!r}: must be an int')
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
  if config.optimizer == 'adamw':
    return optax.adamw(config.learning_rate, weight_decay=config.weight_decay)
  base = optax.adam if config.optimizer == 'adam' else optax.sgd
  if config.weight_decay:
    return optax.chain(optax.add_decayed_weights(config.weight_decay), base(config.learning_rate))
  return base(config.learning_rate)


def identity_tag(name: str) -> int:
  """A stable 31-bit integer for a string (a run's architecture), to fold into its key."""
  return zlib.crc32(name.encode()) & 0x7FFFFFFF


def run_key(seed, tag: int, n) -> jax.Array:
  """The key of one run, from its identity alone: `fold_in(fold_in(PRNGKey(seed), tag), n)`."""
  return jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), tag), n)


def _loss_and_correct(apply, params, x, y):
  """Per-example cross-entropy `[batch]` and correctness `[batch]`."""
  logits = apply(params, x)
  loss = optax.softmax_cross_entropy_with_integer_labels(logits, y)
  return loss, (jnp.argmax(logits, -1) == y).astype(jnp.float32)


def make_train(model: Layer, config: TrainConfig, tag: int = 0, return_params: bool = False):
  """Builds the pure function that trains one run of `model` under `config`.

  Args:
    model: the network; `model.apply(params, x [batch, *grid, C]) -> logits [batch, classes]`.
    config: a validated TrainConfig.
    tag: folded into every run's key (e.g. `identity_tag(arch)`), so runs of different architectures
      with the same seed and n start from unrelated keys.
    return_params: if True, `train` returns `(metrics, params)`, the parameters after the last step.

  Returns:
    `train(seed, n, subset, data) -> metrics`, where
      seed: int32 scalar, the run's seed.
      n: int32 scalar, the run's training-set size, `1 <= n <= max_n`.
      subset: `[max_n]` int32 indices into `data['x_train']`; only the first `n` are used.
      data: `{'x_train': [N, *grid, C], 'y_train': [N], 'x_test': [M, *grid, C], 'y_test': [M]}`.
      metrics: `{name: [num_evals] float32}` for each of METRICS, at `config.eval_steps`.
  """
  config.validate()
  optimizer = make_optimizer(config)
  apply = model.apply

  def train(seed, n, subset, data):
    chex.assert_rank([seed, n, subset], [0, 0, 1])
    key = run_key(seed, tag, n)
    init_key, batch_key = jax.random.split(key)
    _, params = model.init(init_key, data['x_train'].shape[1:])
    opt_state = optimizer.init(params)
    used = jnp.arange(subset.shape[0]) < n  # [max_n]

    def loss_fn(params, x, y):
      return _loss_and_correct(apply, params, x, y)[0].mean()

    def step(carry, step_key):
      params, opt_state = carry
      picks = jax.random.randint(step_key, (config.batch_size,), 0, n)
      rows = subset[picks]
      grads = jax.grad(loss_fn)(params, data['x_train'][rows], data['y_train'][rows])
      updates, opt_state = optimizer.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), None

    def evaluate(params):
      loss, correct = _loss_and_correct(apply, params, data['x_train'][subset],
                                        data['y_train'][subset])
      count = jnp.maximum(used.sum(), 1)
      test_loss, test_correct = _loss_and_correct(apply, params, data['x_test'], data['y_test'])
      return {'train_loss': jnp.where(used, loss, 0).sum() / count,
              'train_accuracy': jnp.where(used, correct, 0).sum() / count,
              'test_loss': test_loss.mean(), 'test_accuracy': test_correct.mean()}

    def interval(carry, interval_key):
      step_keys = jax.random.split(interval_key, config.eval_every)
      carry, _ = jax.lax.scan(step, carry, step_keys)
      return carry, evaluate(carry[0])

    interval_keys = jax.random.split(batch_key, config.num_evals)
    (params, _), metrics = jax.lax.scan(interval, (params, opt_state), interval_keys)
    return (metrics, params) if return_params else metrics

  return train
