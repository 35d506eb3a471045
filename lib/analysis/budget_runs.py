"""The runs of the budget experiment (`experiments/budget.py`) as engine groups, and its table rows.

A cell is one (dataset, budget kind, shape, budget, family) with the architecture `budgets.fit`
finds for it (None where none fits). Cells that reach the same architecture on one dataset share one
group, so it is trained once; its He-normal start keeps the deepest nets trainable.
"""

from collections.abc import Mapping, Sequence

from lib.analysis import budgets
from lib.core import inits, models
from lib.data import Dataset
from lib.engine import experiment, grids, summary, training

METRICS = ('test_accuracy', 'train_accuracy')
NO_RUNS = {'runs': 0, 'diverged': 0, 'unconverged': 0,
           **{f'{m}_{s}': float('nan') for m in METRICS for s in ('mean', 'std')}}


def plan(datasets: Mapping[str, Dataset], kinds: Sequence[str], shapes: Sequence[str],
         grid: Mapping[str, Sequence[int]], wide_depth: int, deep_width: int,
         max_depth: int) -> list[dict]:
  """Every `{'dataset', 'kind', 'shape', 'budget', 'family', 'arch'}` cell (`arch`: None if none
  fits).

  Args:
    datasets: by name; kinds, shapes: of `budgets.KINDS`, `budgets.SHAPES`.
    grid: `{kind: budgets}`; wide_depth: hidden layers of the widest nets; deep_width: channels of
      the deepest; max_depth: the deepest considered.
  """
  cells = []
  for name, data in datasets.items():
    for kind in kinds:
      for shape in shapes:
        for budget in grid[kind]:
          for family in models.FAMILIES:
            arch = budgets.fit(family, shape, kind, budget, data.x_train.shape[1:],
                               data.num_classes, wide_depth, deep_width, max_depth=max_depth)
            cells.append({'dataset': name, 'kind': kind, 'shape': shape, 'budget': budget,
                          'family': family, 'arch': arch})
  return cells


def groups(cells: Sequence[dict], datasets: Mapping[str, Dataset], seeds: Sequence[int], n: int,
           train: training.TrainConfig) -> list[experiment.Group]:
  """One group per distinct (dataset, architecture), its runs at n training examples per seed."""
  out = {}
  for cell in cells:
    arch, name = cell['arch'], cell['dataset']
    if arch is None or (name, arch) in out:
      continue
    data = datasets[name]
    model = arch.build(data.num_classes)
    out[(name, arch)] = experiment.Group(
        name=f'{name} {arch.family} depth {arch.depth} width {arch.width}', model=model,
        train=train, data=grids.arrays(data), init=inits.he_normal(model),
        runs=tuple({'arch': arch.family, 'dataset': name, 'depth': arch.depth,
                    'width': arch.width, 'n': min(n, len(data.y_train)), 'seed': s}
                   for s in seeds))
  return list(out.values())


def rows(cells: Sequence[dict], records: Sequence[dict],
         datasets: Mapping[str, Dataset]) -> list[dict]:
  """One row per cell: its architecture, its cost, mean +- std test and train accuracy, and how many
  of its runs diverged or stayed below the engine's 98% train accuracy (unconverged)."""
  by_arch = {}
  for r in records:
    by_arch.setdefault((r['dataset'], r['arch'], r['depth'], r['width']), []).append(r)
  out = []
  for cell in cells:
    arch = cell['arch']
    row = {k: cell[k] for k in ('dataset', 'kind', 'shape', 'budget', 'family')}
    if arch is None:
      out.append({**row, 'depth': None, 'width': None, 'cost': None, **NO_RUNS})
      continue
    data = datasets[cell['dataset']]
    mine = by_arch.get((cell['dataset'], arch.family, arch.depth, arch.width), [])
    summarized = summary.summarize(mine, keys=(), metrics=METRICS)[0] if mine else NO_RUNS
    out.append({**row, 'depth': arch.depth, 'width': arch.width,
                'cost': budgets.cost(arch, cell['kind'], data.x_train.shape[1:], data.num_classes),
                **summarized})
  return out
