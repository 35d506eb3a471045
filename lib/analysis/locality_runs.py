"""The runs of the learned-locality experiment (`experiments/learned_locality.py`) as engine groups,
and the first-layer scores of its networks at initialisation.

On MNIST-1D the networks are the paper's MLP and CNN, scored in windows of the CNN's first kernel (5
positions); on images the eFCN's CNN is `models.efcn_cnn` (3x3 windows) and beta-LASSO's net the
S-FC (`models.s_fc`, 9x9 windows: S-CONV's kernel).
"""

import numpy as np
import optax

from lib.analysis import beta_lasso, learned_locality as ll, locality, shift_eval
from lib.core import inits, models, projection
from lib.engine import experiment, grids, training

IMAGE_WINDOW = {'efcn': (3, 3), 'beta_lasso': (9, 9)}  # efcn_cnn's kernel; S-CONV's


def efcn_nets(data):
  """`(cnn, its dense twin, scoring window)` for a dataset."""
  if data.name == 'mnist1d':
    cnn, window = models.mnist1d_cnn(data.num_classes), (5,)
  else:
    cnn, window = models.efcn_cnn(data.num_classes), IMAGE_WINDOW['efcn']
  return cnn, models.dense_twin(cnn, data.x_train.shape[1:]), window


def lasso_net(data, alpha: int):
  """`(network, scoring window)` that beta-LASSO trains on a dataset."""
  if data.name == 'mnist1d':
    return models.mnist1d_mlp(data.num_classes), (5,)
  return (models.s_fc(data.num_classes, in_shape=data.x_train.shape[1:], alpha=alpha),
          IMAGE_WINDOW['beta_lasso'])


def tenth(steps: int) -> int:
  """Steps between evaluations: a tenth of the run where that divides it, else the whole run."""
  return steps // 10 if steps % 10 == 0 else steps


def first_rows(data, params, index: int):
  """The rows of the first pattern layer (params[index]) of an MLP or a dense twin."""
  kernel = params[index]['kernel']
  if kernel.ndim > 2:
    return ll.dense_rows(kernel)
  return locality.unit_rows(kernel, data.grid)


def locality_groups(data, sizes, seeds, train, shift_steps) -> list[experiment.Group]:
  """Part 1: the MLP with and without shift augmentation (trained `shift_steps`)."""
  mlp = models.mnist1d_mlp(data.num_classes)
  evaluate = lambda params, d: ll.scores(first_rows(data, params, 1), (5,))
  shifts = shift_eval.random_shifts(np.arange(data.grid[0])[:, None], circular=True)
  return [experiment.Group(
      name=f'locality fc{" shifted" if shifted else ""}', model=mlp,
      train=training.TrainConfig(**{**vars(train), 'steps': shift_steps,
                                    'eval_every': tenth(shift_steps)}) if shifted else train,
      data=grids.arrays(data), evaluate=evaluate, augment=shifts if shifted else None,
      init=inits.fan_in_uniform(mlp),
      runs=tuple({'arch': 'fc', 'part': 'locality', 'shifted': shifted, 'n': n, 'seed': s}
                 for n in sizes for s in seeds)) for shifted in (False, True)]


def efcn_groups(data, ts, n, seeds, train) -> list[experiment.Group]:
  """Part 2: one group per relax time t, and the dense twin from its own initialisation."""
  cnn, twin, window = efcn_nets(data)
  emb = projection.embedding(cnn, twin, data.x_train.shape[1:])
  evaluate = lambda params, d: {'distance': emb.distance(params),
                                **ll.scores(first_rows(data, params, 0), window)}
  cnn_init = inits.fan_in_uniform(cnn)
  common = dict(model=twin, train=train, data=grids.arrays(data), evaluate=evaluate)
  groups = [experiment.Group(
      name=f'efcn t={t}', init=lambda key, shape: emb.to_dense(cnn_init(key, shape)),
      optimizer=optax.chain(projection.projected_until(emb, t), training.make_optimizer(train)),
      runs=tuple({'arch': 'efcn', 'part': 'efcn', 't': t, 'n': n, 'seed': s} for s in seeds),
      **common) for t in ts]
  return groups + [experiment.Group(
      name='efcn fc', init=inits.fan_in_uniform(twin), **common,
      runs=tuple({'arch': 'fc_dense', 'part': 'efcn', 't': 0, 'n': n, 'seed': s} for s in seeds))]


def lasso_groups(data, betas, steps_grid, n, seeds, base, l1, alpha) -> list[experiment.Group]:
  """Part 3: beta-LASSO (lambda `l1`) at each beta and step count, and plain SGD at the longest; on
  images the S-FC of width `alpha`, on MNIST-1D the paper MLP."""
  image = data.name != 'mnist1d'
  net, window = lasso_net(data, alpha)

  def evaluate(params, d):
    rows = first_rows(data, params, 1)
    shown = (rows[:16] ** 2).sum(-1) ** 0.5 if image else rows[..., 0]
    return {**ll.scores(rows, window), 'rows': shown}

  def group(name, steps, optimizer, runs):
    train = training.TrainConfig(**{**vars(base), 'steps': steps, 'eval_every': tenth(steps)})
    return experiment.Group(name=name, model=net, train=train, data=grids.arrays(data),
                            evaluate=evaluate, optimizer=optimizer, init=inits.fan_in_uniform(net),
                            runs=runs)

  ident = lambda arch, steps, s, **kw: {'arch': arch, 'part': 'beta_lasso', 'steps': steps, 'n': n,
                                        'seed': s, **kw}
  decay = lambda steps: optax.cosine_decay_schedule(base.learning_rate, steps)
  groups = [group(f'beta-lasso beta={beta} {steps} steps', steps, beta_lasso.beta_lasso(
      base.learning_rate, l1, beta, mask=beta_lasso.kernels_only,
      schedule=decay(steps) if base.schedule == 'cosine' else None),
      tuple(ident('fc_beta_lasso', steps, s, beta=beta) for s in seeds))
            for beta in betas for steps in steps_grid]
  last = max(steps_grid)
  return groups + [group('sgd', last, None, tuple(ident('fc_sgd', last, s) for s in seeds))]


def at_init(data_by_part: dict, keys, alpha: int) -> dict:
  """First-layer scores at initialisation of each part's network (`ll.baseline`)."""
  layers_at_init = {}
  mnist = data_by_part.get('locality')
  if mnist is not None:
    mlp = inits.fan_in_uniform(models.mnist1d_mlp())
    layers_at_init['mlp'] = (lambda k: first_rows(mnist, mlp(k, mnist.x_train.shape[1:]), 1), (5,))
  efcn = data_by_part.get('efcn')
  if efcn is not None:
    _, twin, window = efcn_nets(efcn)
    twin_init = inits.fan_in_uniform(twin)
    layers_at_init['fc_dense'] = (
        lambda k: first_rows(efcn, twin_init(k, efcn.x_train.shape[1:]), 0), window)
  lasso = data_by_part.get('beta_lasso')
  if lasso is not None and lasso.name != 'mnist1d':
    s_fc, window = lasso_net(lasso, alpha)
    s_fc_init = inits.fan_in_uniform(s_fc)
    layers_at_init['s_fc'] = (
        lambda k: first_rows(lasso, s_fc_init(k, lasso.x_train.shape[1:]), 1), window)
  return ll.baseline(layers_at_init, keys)
