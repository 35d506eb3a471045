"""Learned locality: does a fully connected net learn the CNN's local, tied structure by itself?

Three parts on MNIST-1D, all on the engine (the scores are computed inside the compiled program by the
evaluate hook; eFCN and beta-LASSO are optimizer and init hooks):

1. `locality`: the paper's MLP (Adam, the paper's protocol) at several n, with and without random
   circular shifts of every training minibatch; the locality score (share of each first-layer unit's
   weight energy inside its best window of the CNN's first kernel, 5 positions) and the tying score
   (largest |cosine| with another unit's aligned weights elsewhere), with the same scores at
   initialisation as the baseline (`lib.analysis.locality`).
2. `efcn` (d'Ascoli et al. 2019): the paper CNN's dense-equivalent FC net, started at the CNN's
   initialisation mapped exactly into it, trained with its gradients projected onto the tied, masked
   subspace for the first t steps (which is training the CNN, step for step: lib.core.projection) and
   freely after; test accuracy and relative distance from the subspace against t, next to the same FC
   net from its own initialisation (t = 0 from a CNN start is not that: it starts local). t = all steps
   is the CNN.
3. `beta_lasso` (Neyshabur 2020): the paper's MLP trained by beta-LASSO from scratch for several step
   counts; first-layer locality score and sparsity against steps, next to plain SGD of the same learning
   rate; a picture of first-layer rows.

Writes results.jsonl, baseline.json (the scores at initialisation), summary.md, summary.csv and
learned_locality.png to --workdir.
"""

import json
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import flags

from experiments import sweep_flags
from lib.analysis import beta_lasso, locality, shift_eval
from lib.core import inits, layers, models, projection
from lib.data import load_dataset
from lib.engine import experiment, grids, training
from lib.report import render

FLAGS = flags.FLAGS
PRECISION = 'highest'  # launch.py's --precision default here: eFCN is the CNN, step for step
WINDOW = (5,)  # the paper CNN's first kernel
PARTS = ('locality', 'efcn', 'beta_lasso')
TRAIN_DEFAULTS = {'steps': 3000, 'eval_every': 1000}

sweep_flags.define_dataset('mnist1d', 'MNIST-1D only: the eFCN maps the paper CNN.')
for _name, _value in TRAIN_DEFAULTS.items():
  FLAGS.set_default(_name, _value)
_WORKDIR = flags.DEFINE_string('workdir', 'runs/learned_locality', 'Where the runs and summaries go; '
                               're-running resumes.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_PARTS = flags.DEFINE_list('parts', None, f'Which parts, from {PARTS} (default all).')
_SIZES = flags.DEFINE_list('sizes', ['100', '500', '4000'], 'locality: training-set sizes.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 3, 'locality and beta_lasso: seeds '
                                  '0..num_seeds-1.', lower_bound=1)
_EFCN_T = flags.DEFINE_list('efcn_t', ['0', '100', '500', '1500'], 'efcn: steps of projected (CNN) '
                            'training before the dense net trains freely; each at most --efcn_steps.')
_EFCN_STEPS = flags.DEFINE_integer('efcn_steps', 1500, 'efcn: steps per run (the dense net costs six '
                                   'times the CNN\'s multiply-adds); other training flags as given.',
                                   lower_bound=1)
_EFCN_SEEDS = flags.DEFINE_integer('efcn_seeds', 2, 'efcn: seeds 0..efcn_seeds-1.', lower_bound=1)
_EFCN_OPTIMIZER = flags.DEFINE_enum('efcn_optimizer', None, training.OPTIMIZERS, 'efcn: the optimizer '
                                    '(default --optimizer).')
_EFCN_LEARNING_RATE = flags.DEFINE_float('efcn_learning_rate', None, 'efcn: the learning rate '
                                         '(default --learning_rate).')
_EFCN_N = flags.DEFINE_integer('efcn_n', 4000, 'efcn and beta_lasso: training-set size.',
                               lower_bound=1)
_LASSO_STEPS = flags.DEFINE_list('lasso_steps', ['500', '1500', '3000'], 'beta_lasso: step counts.')
_LASSO_LR = flags.DEFINE_float('lasso_learning_rate', 0.1, 'beta_lasso (and its SGD baseline): '
                               'learning rate.')
_LASSO_L1 = flags.DEFINE_float('lasso_l1', 5e-4, 'beta_lasso: lambda.')
_LASSO_BETA = flags.DEFINE_float('lasso_beta', 50.0, 'beta_lasso: beta (threshold beta * lambda).')
flags.register_validator('efcn_learning_rate', lambda v: v is None or 0 < v < math.inf,
                         '--efcn_learning_rate must be positive and finite')
flags.register_validator('lasso_learning_rate', lambda v: 0 < v < math.inf,
                         '--lasso_learning_rate must be positive and finite')
for _name in ('lasso_l1', 'lasso_beta'):
  flags.register_validator(_name, lambda v: 0 <= v < math.inf,
                           f'--{_name} must be non-negative and finite')


def first_layer_rows(params, in_grid) -> jax.Array:
  """`[units, *in_grid, C]`: the first dense layer of the paper MLP (params[1])."""
  return locality.unit_rows(params[1]['kernel'], in_grid)


def dense_rows(kernel: jax.Array) -> jax.Array:
  """`[N_out * C_out, *in_grid, C_in]` from a grid Dense kernel `[*out_grid, *in_grid, C_in, C_out]`
  of one spatial dimension."""
  rows = jnp.moveaxis(kernel, -1, 1)  # [N_out, C_out, N_in, C_in]
  return rows.reshape(-1, *kernel.shape[1:-1])


def scores(rows) -> dict:
  """The mean locality and tying scores of a layer's rows, and its share of exact zeros."""
  return {'locality': locality.locality_score(rows, WINDOW).mean(),
          'tying': locality.tying_score(rows, WINDOW).mean(),
          'zero_fraction': jnp.mean(rows == 0)}


def paper_dense_fc(num_classes: int) -> tuple[layers.Layer, layers.Layer]:
  """`(cnn, fc)`: the paper CNN and its dense-equivalent FC net (every conv a Dense on its out grid)."""
  cnn = models.mnist1d_cnn(num_classes)
  d = projection.dense_layers(cnn, (40, 1))
  fc = layers.serial(d[0], layers.Relu, d[1], layers.Relu, d[2], layers.Relu, layers.Flatten, d[3])
  return cnn, fc


def locality_groups(data, sizes, seeds, train) -> list[experiment.Group]:
  """Part 1: the MLP with and without shift augmentation."""
  arrays, grid = grids.arrays(data), data.grid
  evaluate = lambda params, d: scores(first_layer_rows(params, grid))
  mlp = models.mnist1d_mlp(data.num_classes)
  every_circular_shift = shift_eval.random_shifts(np.arange(grid[0])[:, None], circular=True)
  return [experiment.Group(
      name=f'locality fc{" shifted" if shifted else ""}', model=mlp, train=train, data=arrays,
      evaluate=evaluate, augment=every_circular_shift if shifted else None,
      init=inits.fan_in_uniform(mlp),
      runs=tuple({'arch': 'fc', 'part': 'locality', 'shifted': shifted, 'n': n, 'seed': s}
                 for n in sizes for s in seeds)) for shifted in (False, True)]


def efcn_groups(data, ts, n, seeds, train) -> list[experiment.Group]:
  """Part 2: one group per t (the optimizer switches off the projection after t steps), and the
  dense FC net from its own initialisation."""
  cnn, fc = paper_dense_fc(data.num_classes)
  emb = projection.embedding(cnn, fc, data.x_train.shape[1:])
  arrays = grids.arrays(data)
  base = training.make_optimizer(train)

  def evaluate(params, d):
    del d
    return {'distance': emb.distance(params), **scores(dense_rows(params[0]['kernel']))}

  cnn_init = inits.fan_in_uniform(cnn)
  start = lambda key, in_shape: emb.to_dense(cnn_init(key, in_shape))
  groups = [experiment.Group(
      name=f'efcn t={t}', model=fc, train=train, data=arrays, evaluate=evaluate, init=start,
      optimizer=optax.chain(projection.projected_until(emb, t), base),
      runs=tuple({'arch': 'efcn', 'part': 'efcn', 't': t, 'n': n, 'seed': s} for s in seeds))
            for t in ts]
  groups.append(experiment.Group(
      name='efcn fc', model=fc, train=train, data=arrays, evaluate=evaluate,
      init=inits.fan_in_uniform(fc),
      runs=tuple({'arch': 'fc_dense', 'part': 'efcn', 't': 0, 'n': n, 'seed': s} for s in seeds)))
  return groups


def lasso_groups(data, steps_grid, n, seeds, train) -> list[experiment.Group]:
  """Part 3: beta-LASSO at several step counts, and plain SGD at the last."""
  arrays, grid = grids.arrays(data), data.grid

  def evaluate(params, d):
    del d
    rows = first_layer_rows(params, grid)
    return {**scores(rows), 'rows': rows[..., 0]}

  lr = _LASSO_LR.value
  lasso = beta_lasso.beta_lasso(lr, _LASSO_L1.value, _LASSO_BETA.value, mask=beta_lasso.kernels_only)
  mlp = models.mnist1d_mlp(data.num_classes)
  groups = []
  for steps in steps_grid:
    protocol = training.TrainConfig(**{**vars(train), 'optimizer': 'sgd', 'learning_rate': lr,
                                       'steps': steps, 'eval_every': math.gcd(steps, 500)})
    groups.append(experiment.Group(
        name=f'beta-lasso {steps} steps', model=mlp, train=protocol, data=arrays,
        evaluate=evaluate, optimizer=lasso, init=inits.fan_in_uniform(mlp),
        runs=tuple({'arch': 'fc_beta_lasso', 'part': 'beta_lasso', 'steps': steps, 'n': n,
                    'seed': s} for s in seeds)))
  groups.append(experiment.Group(
      name='sgd', model=mlp, train=protocol, data=arrays, evaluate=evaluate,
      init=inits.fan_in_uniform(mlp),
      runs=tuple({'arch': 'fc_sgd', 'part': 'beta_lasso', 'steps': steps, 'n': n, 'seed': s}
                 for s in seeds)))
  return groups


def baseline_scores(seeds: int, in_shape) -> dict:
  """Mean scores of the MLP's first layer and of the dense FC net's first layer at initialisation."""
  mlp = models.mnist1d_mlp()
  _, fc = paper_dense_fc(10)
  keys = jax.random.split(jax.random.key(2024), seeds)
  mlp_init, fc_init = inits.fan_in_uniform(mlp), inits.fan_in_uniform(fc)
  at_init = jax.jit(jax.vmap(lambda k: (
      scores(first_layer_rows(mlp_init(k, in_shape), in_shape[:-1])),
      scores(dense_rows(fc_init(k, in_shape)[0]['kernel'])))))
  mlp_scores, fc_scores = at_init(keys)
  return {'mlp': {k: float(v.mean()) for k, v in mlp_scores.items()},
          'fc_dense': {k: float(v.mean()) for k, v in fc_scores.items()}}


def main(argv):
  del argv
  sweep_flags.configure_devices()
  if FLAGS.dataset != 'mnist1d':
    raise ValueError(f'--dataset={FLAGS.dataset}: learned_locality runs on mnist1d only')
  parts = sweep_flags.given_list('parts', _PARTS.value, PARTS)
  for part in parts:
    if part not in PARTS:
      raise ValueError(f'--parts: part={part!r} is not one of {PARTS}')
  data = load_dataset('mnist1d')
  train = sweep_flags.train_config()
  seeds = tuple(range(_NUM_SEEDS.value))
  sizes = sweep_flags.positive_ints('sizes', _SIZES.value)
  try:
    ts = tuple(int(t) for t in _EFCN_T.value)
  except ValueError:
    raise ValueError(f'--efcn_t={",".join(_EFCN_T.value)}: expected a list of ints') from None
  if not ts or len(set(ts)) != len(ts):
    raise ValueError(f'--efcn_t={",".join(_EFCN_T.value)}: expected distinct ints')
  efcn_train = sweep_flags.train_config(
      steps=_EFCN_STEPS.value, eval_every=math.gcd(_EFCN_STEPS.value, train.eval_every),
      optimizer=_EFCN_OPTIMIZER.value or train.optimizer,
      learning_rate=_EFCN_LEARNING_RATE.value or train.learning_rate)
  if 'efcn' in parts and any(t < 0 or t > efcn_train.steps for t in ts):
    raise ValueError(f'--efcn_t={",".join(_EFCN_T.value)}: every t must lie in [0, --efcn_steps='
                     f'{efcn_train.steps}]')
  lasso_steps = sweep_flags.positive_ints('lasso_steps', _LASSO_STEPS.value)
  for name, value in (('sizes', max(sizes)), ('efcn_n', _EFCN_N.value)):
    if value > len(data.y_train):
      raise ValueError(f'--{name}: n={value} exceeds the {len(data.y_train)} training examples')
  groups = []
  if 'locality' in parts:
    groups += locality_groups(data, sizes, seeds, train)
  if 'efcn' in parts:
    groups += efcn_groups(data, ts, _EFCN_N.value, tuple(range(_EFCN_SEEDS.value)), efcn_train)
  if 'beta_lasso' in parts:
    groups += lasso_groups(data, lasso_steps, _EFCN_N.value, seeds, train)
  # The protocols only: parts, sizes, seeds, t and step counts pick runs (their identities).
  config = {'experiment': 'learned_locality', 'train': vars(train), 'efcn_train': vars(efcn_train),
            'lasso': [_LASSO_LR.value, _LASSO_L1.value, _LASSO_BETA.value]}
  records = experiment.run(groups, _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  workdir = pathlib.Path(_WORKDIR.value)
  (workdir / 'baseline.json').write_text(json.dumps(baseline_scores(8, data.x_train.shape[1:])))
  print(render.write('learned_locality', workdir, records))
