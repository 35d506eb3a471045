"""The runs of the dimension-scaling experiment (`experiments/dimension_scaling.py`) as engine groups.

Each (task, size, kind of model, family) is one group: every n of the grid x every seed, nested
class-balanced subsets of one generated training set (`sample_complexity.Tasks.params`). 'paper'
models (`lib.core.paper_models`) start from i.i.d. Gaussians, weights N(0, 1 / fan_in) and biases
zero, the start the papers' lower bounds cover; 'standard' models (`models.by_name`) from lib's own.
"""

import functools
from collections.abc import Callable, Sequence

from lib.analysis import kernels, sample_complexity
from lib.core import layers, models, paper_models
from lib.data import load_dataset
from lib.engine import experiment, grids, training

PAPER_ARCHS = {'lza': ('fc', 'cnn'), 'dsd_k': ('fc', 'lcn', 'cnn'), 'dsd_d': ('fc', 'lcn', 'cnn')}
STANDARD_ARCHS = ('fc', 'lcn', 'cnn', 'cnn_gap')


def targets(items: Sequence[str], tasks: Sequence[str]) -> dict[str, float]:
  """`{task: target accuracy}` of `--targets` items TASK=VALUE; ValueError naming the flag.

  Args:
    items: the flag's items, e.g. `['lza=0.8', 'dsd_k=0.9']`.
    tasks: the tasks that run, each of which needs a target.
  """
  out = {}
  for item in items:
    task, _, value = item.partition('=')
    try:
      out[task] = float(value)
    except ValueError:
      raise ValueError(f'--targets: {item!r} is not TASK=VALUE') from None
    if task not in sample_complexity.TASKS or not 0 < out[task] < 1:
      raise ValueError(f'--targets: {item!r} needs a task in {sample_complexity.TASKS} and a value '
                       'in (0, 1)')
  for task in tasks:
    if task not in out:
      raise ValueError(f'--targets: no target for task {task!r}')
  return out


def network(kind: str, task: str, family: str, size: dict, *, lsa_threshold: float,
            method: str) -> tuple[layers.Layer, Callable | None]:
  """`(model, init or None)`: a 'paper' or 'standard' network on one task size (`Tasks.params`)."""
  if kind == 'standard':
    return models.by_name(family, 2, method=method), None
  model = paper_models.for_task(task, family, size, lsa_threshold=lsa_threshold, method=method)
  return model, functools.partial(kernels.gaussian_params, model, weight_var=1.0, bias_var=0.0)


def groups(tasks: sample_complexity.Tasks, kinds: Sequence[str], archs: Sequence[str] | None,
           sizes_n: Sequence[int], seeds: Sequence[int],
           train_config: Callable[[str, str], training.TrainConfig], *, lsa_threshold: float,
           method: str) -> list[experiment.Group]:
  """The engine groups of every task (in `tasks.sizes`' order), size, kind and family.

  Args:
    tasks: the generated tasks and their sizes.
    kinds: 'paper' and/or 'standard'.
    archs: only these families (None: every family of each task and kind).
    sizes_n: training-set sizes n of every group.
    seeds: seeds of every group.
    train_config: `(task, kind) -> TrainConfig`.
    lsa_threshold: the dsd paper models' LSA threshold, in units of the noise sigma.
    method: the contraction method of every pattern layer.

  Returns:
    Groups named 'TASK SIZE KIND_FAMILY' on the task's data (inputs `[n_train, length, 1]`), whose runs
    are `{'arch': 'KIND_FAMILY', 'task', 'size', 'n', 'seed'}`.
  """
  out = []
  for task, task_sizes in tasks.sizes.items():
    for size in task_sizes:
      params = tasks.params(task, size)
      data = grids.arrays(load_dataset(params['spec']))
      for kind in kinds:
        for arch in (PAPER_ARCHS[task] if kind == 'paper' else STANDARD_ARCHS):
          if archs and arch not in archs:
            continue
          model, init = network(kind, task, arch, params, lsa_threshold=lsa_threshold,
                                method=method)
          label = f'{kind}_{arch}'
          runs = tuple({'arch': label, 'task': task, 'size': size, 'n': n, 'seed': s}
                       for n in sizes_n for s in seeds)
          out.append(experiment.Group(f'{task} {size} {label}', model,
                                      train_config(task, kind), data, runs, init=init))
  return out
