"""Shift generalization: train at a few positions, test at every shift of a grid.

Each architecture trains on the training set materialised at the allowed ("seen") shifts only: every
training example at every seen shift of `--max_shift`'s grid under `--rule`/`--radius`. `fc_aug` is
the FC network trained instead on every training example at `--aug_copies` random shifts drawn from
the whole grid (augmentation materialised as a fixed, larger training set). After training, the final
parameters are evaluated on the whole test set at every shift of the grid: accuracy per shift, mean
accuracy over seen and unseen shifts, and shift consistency (Zhang 2019: how often two random shifts
of one test image get the same class). Train accuracy is on the materialised training set.

`--sizes` trains on nested class-balanced subsets of n training examples (before materialising the
shifts), so e.g. `--archs=cnn_gap,fc_aug --sizes=100,300,1347` shows how many more examples the FC
network with augmentation needs than a CNN to generalise across shifts.

`--dataset=digits`: scikit-learn's digits on a `--canvas` square, shifted without wrap-around (the
canvas must hold the digit at every shift); figure: accuracy heatmaps over (dy, dx).
`--dataset=mnist1d`: circular shifts of the 40 positions; figure: accuracy against the shift.
Writes results.jsonl (one line per run, resumable), summary.csv, summary.md, shift_accuracy.png and
seen_unseen.png to --workdir.
"""

import csv
import dataclasses
import functools
import itertools
import pathlib
import time

import jax
import numpy as np
from absl import flags, logging

from experiments import sweep_flags
from lib.core import models
from lib.analysis import plotting, shift_eval
from lib.engine import protocols, results, training
from lib.data import (load_dataset, nested_balanced_subsets, shift_grid, split_seen_unseen,
                      translate)

ARCHS = ('fc', 'lcn', 'cnn', 'cnn_gap', 'fc_aug')
DIGIT_SIZE = 8

_WORKDIR = flags.DEFINE_string('workdir', 'runs/shift_generalization', 'Where results and summaries '
                               'are written; re-running resumes.')
_DATASET = flags.DEFINE_enum('dataset', 'digits', ['digits', 'mnist1d'], 'Which dataset.')
_CANVAS = flags.DEFINE_integer('canvas', 20, 'digits: the side of the square canvas.')
_ARCHS = flags.DEFINE_list('archs', list(ARCHS), f'Architectures, from {list(ARCHS)}.')
_MAX_SHIFT = flags.DEFINE_integer('max_shift', None, 'Test shifts: every integer shift in '
                                  '[-max_shift, max_shift] per axis (default digits 4, mnist1d 10).')
_RULE = flags.DEFINE_enum('rule', 'centre', list(translate.RULES), 'Which shifts are seen in training.')
_RADIUS = flags.DEFINE_integer('radius', 1, 'The seen set\'s boundary (lib.data.split_seen_unseen).')
_AUG_COPIES = flags.DEFINE_integer('aug_copies', 8, 'fc_aug: random shifts per training example.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 2, 'Seeds 0..num_seeds-1.')
_SIZES = flags.DEFINE_list('sizes', None, 'Training-set sizes n (class-balanced, nested); default the '
                           'whole training set.')


@dataclasses.dataclass(frozen=True)
class ShiftSpec:
  """What the experiment trains and tests.

  Attributes:
    archs: names from ARCHS.
    seeds: each seed picks the run's key, its subsets and fc_aug's random shifts.
    sizes: training-set sizes n, or () for the whole training set.
    train: the training protocol.
    dataset: 'digits' or 'mnist1d'.
    canvas: digits' canvas side.
    max_shift: the test grid's largest shift per axis.
    rule, radius: which shifts are seen (`lib.data.split_seen_unseen`).
    aug_copies: fc_aug's random shifts per training example.
  """
  archs: tuple[str, ...]
  seeds: tuple[int, ...]
  train: training.TrainConfig
  sizes: tuple[int, ...] = ()
  dataset: str = 'digits'
  canvas: int = 20
  max_shift: int = 4
  rule: str = 'centre'
  radius: int = 1
  aug_copies: int = 8

  @property
  def circular(self) -> bool:
    return self.dataset == 'mnist1d'

  def validate(self) -> None:
    """Raises ValueError naming the flag and value that is out of range."""
    if not self.archs:
      raise ValueError('archs=[]: give at least one architecture')
    for arch in self.archs:
      if arch not in ARCHS:
        raise ValueError(f'archs: arch={arch!r} is unknown; expected one of {list(ARCHS)}')
    if len(set(self.archs)) != len(self.archs):
      raise ValueError(f'archs={list(self.archs)!r}: duplicate entries')
    if not self.seeds:
      raise ValueError('seeds=(): give at least one seed')
    if len(set(self.sizes)) != len(self.sizes) or any(
        not isinstance(n, int) or n < 10 for n in self.sizes):
      raise ValueError(f'sizes={list(self.sizes)!r}: expected distinct ints, each at least 10 (the '
                       'number of classes)')
    if self.max_shift < 1:
      raise ValueError(f'max_shift={self.max_shift!r}: must be at least 1')
    if self.dataset == 'digits' and (self.canvas - DIGIT_SIZE) // 2 < self.max_shift:
      raise ValueError(f'max_shift={self.max_shift!r}: a centred 8x8 digit leaves the '
                       f'canvas={self.canvas!r}; need canvas >= {DIGIT_SIZE + 2 * self.max_shift}')
    if self.radius < 0:
      raise ValueError(f'radius={self.radius!r}: must be non-negative')
    if self.aug_copies < 1:
      raise ValueError(f'aug_copies={self.aug_copies!r}: must be at least 1')
    seen, unseen = self.split()
    if not len(seen) or not len(unseen):
      raise ValueError(f'rule={self.rule!r}, radius={self.radius!r}: with max_shift='
                       f'{self.max_shift!r} the seen and the unseen shifts must both be non-empty')
    self.train.validate()

  def shifts(self) -> np.ndarray:
    """`[m, d]` the test shifts: 2-D for digits, 1-D for mnist1d."""
    return shift_grid(self.max_shift, 2 if self.dataset == 'digits' else 1)

  def split(self) -> tuple[np.ndarray, np.ndarray]:
    """`(seen [k, d], unseen [m - k, d])`."""
    return split_seen_unseen(self.shifts(), self.rule, self.radius)


def spec_from_flags() -> ShiftSpec:
  """The spec the flags describe, validated; ValueError naming the flag for bad values."""
  dataset = _DATASET.value
  max_shift = _MAX_SHIFT.value
  if max_shift is None:
    max_shift = 4 if dataset == 'digits' else 10
  try:
    sizes = tuple(int(v) for v in _SIZES.value or ())
  except ValueError:
    raise ValueError(f'sizes={_SIZES.value!r}: expected a comma-separated list of ints') from None
  if _NUM_SEEDS.value < 1:
    raise ValueError(f'num_seeds={_NUM_SEEDS.value!r}: must be at least 1')
  spec = ShiftSpec(archs=tuple(_ARCHS.value), seeds=tuple(range(_NUM_SEEDS.value)),
                   train=sweep_flags.train_config(), sizes=sizes, dataset=dataset,
                   canvas=_CANVAS.value, max_shift=max_shift, rule=_RULE.value, radius=_RADIUS.value,
                   aug_copies=_AUG_COPIES.value)
  spec.validate()
  return spec


@functools.lru_cache(maxsize=None)
def compiled(arch: str, num_classes: int, config: training.TrainConfig):
  """`(model, jax.jit(train))` for an architecture of ARCHS, built once per process; `train`
  returns `(metrics, params)` (`lib.engine.training.make_train`)."""
  model = models.by_name('fc' if arch == 'fc_aug' else arch, num_classes)
  return model, jax.jit(training.make_train(model, config, training.identity_tag(arch),
                                            return_params=True))


def train_one(spec: ShiftSpec, arch: str, n: int, seed: int, data) -> dict:
  """Trains one run and evaluates it at every test shift.

  Args:
    spec: the experiment.
    arch: one of ARCHS.
    n: the number of training examples (a class-balanced subset), before shifting.
    seed: the run's seed.
    data: the `lib.data.Dataset`.

  Returns:
    The run's record: identity, train metrics, per-shift and seen/unseen test accuracy, consistency.
  """
  tic = time.time()
  shifts = spec.shifts()
  seen, _ = spec.split()
  rows = nested_balanced_subsets(data.y_train, [n], seed)[n]
  if arch == 'fc_aug':
    x, y = shift_eval.shifted_copies(data.x_train[rows], data.y_train[rows], shifts, spec.circular,
                                     copies=spec.aug_copies, seed=seed)
  else:
    x, y = shift_eval.shifted_copies(data.x_train[rows], data.y_train[rows], seen, spec.circular)
  model, train = compiled(arch, data.num_classes, spec.train)
  arrays = {'x_train': x, 'y_train': y, 'x_test': data.x_test, 'y_test': data.y_test}
  metrics, params = train(np.int32(seed), np.int32(len(x)), np.arange(len(x), dtype=np.int32),
                          arrays)
  predictions = shift_eval.predictions_per_shift(model.apply, params, data.x_test, shifts,
                                                 spec.circular)
  per_shift = (predictions == data.y_test[None]).mean(1)
  is_seen = shift_eval.seen_mask(shifts, seen)
  return {'arch': arch, 'n': n, 'seed': seed, 'train_examples': len(x),
          'train_accuracy': float(metrics['train_accuracy'][-1]),
          'train_loss': float(metrics['train_loss'][-1]),
          'shifts': shifts.tolist(), 'accuracy_per_shift': per_shift.tolist(),
          'seen': is_seen.tolist(), 'seen_accuracy': float(per_shift[is_seen].mean()),
          'unseen_accuracy': float(per_shift[~is_seen].mean()),
          'consistency': shift_eval.shift_consistency(predictions),
          'wall_time_s': time.time() - tic, 'config': to_json(spec)}


def to_json(spec: ShiftSpec) -> dict:
  return {**dataclasses.asdict(spec), 'archs': list(spec.archs), 'seeds': list(spec.seeds)}


SUMMARY_FIELDS = ('arch', 'runs', 'train_accuracy', 'seen_accuracy', 'unseen_accuracy',
                  'consistency')


def summarize(records: list[dict], archs) -> list[dict]:
  """One row per architecture (in `archs` order) and n: run count, and mean and std over seeds of
  train accuracy, seen and unseen accuracy and consistency (`{metric}_mean`, `{metric}_std`)."""
  rows = []
  for arch in archs:
    for n in sorted({r['n'] for r in records}):
      mine = [r for r in records if r['arch'] == arch and r['n'] == n]
      if mine:
        rows.append(_row(arch, n, mine))
  return rows


def _row(arch: str, n: int, mine: list[dict]) -> dict:
  """The summary row of one group of runs."""
  row = {'arch': arch, 'n': n, 'runs': len(mine),
           'accuracy_per_shift': np.mean([r['accuracy_per_shift'] for r in mine], 0)}
  for metric in SUMMARY_FIELDS[2:]:
    values = np.array([r[metric] for r in mine])
    row[f'{metric}_mean'], row[f'{metric}_std'] = float(values.mean()), float(values.std())
  return row


def markdown_table(rows: list[dict]) -> str:
  """The rows as Markdown: percentages, mean +- std over seeds."""
  lines = ['| arch | n | runs | train acc (%) | seen test acc (%) | unseen test acc (%) | '
           'consistency (%) |', '|---|---:|---:|---:|---:|---:|---:|']
  for r in rows:
    cells = [f"{100 * r[f'{m}_mean']:.1f} +- {100 * r[f'{m}_std']:.1f}" for m in SUMMARY_FIELDS[2:]]
    lines.append(f"| {r['arch']} | {r['n']} | {r['runs']} | " + ' | '.join(cells) + ' |')
  return '\n'.join(lines) + '\n'


def write_summaries(spec: ShiftSpec, rows: list[dict], workdir: pathlib.Path) -> None:
  """Writes summary.csv, summary.md, shift_accuracy.png and seen_unseen.png."""
  fields = ['arch', 'n', 'runs'] + [f'{m}_{s}' for m in SUMMARY_FIELDS[2:] for s in ('mean', 'std')]
  with open(workdir / 'summary.csv', 'w', newline='', encoding='utf-8') as f:
    writer = csv.DictWriter(f, fields, extrasaction='ignore')
    writer.writeheader()
    writer.writerows(rows)
  title = (f'{spec.dataset}: trained at {spec.rule} radius {spec.radius}, tested at shifts up to '
           f'{spec.max_shift}')
  (workdir / 'summary.md').write_text(f'# {title}\n\n' + markdown_table(rows))
  seen, _ = spec.split()
  if len({r['n'] for r in rows}) > 1:
    rows = [dict(r, arch=f"{r['arch']} n={r['n']}") for r in rows]
  plotting.shift_accuracy(rows, spec.shifts(), shift_eval.seen_mask(spec.shifts(), seen),
                          workdir / 'shift_accuracy.png', title)
  plotting.seen_unseen_bars(rows, workdir / 'seen_unseen.png', title)


def run(spec: ShiftSpec, workdir: str, overwrite: bool = False) -> list[dict]:
  """Trains every (arch, n, seed) not yet recorded in `workdir`, then writes the summaries.

  Returns:
    The summary rows.

  Raises:
    ValueError: for an invalid spec (naming the flag), before anything trains.
  """
  spec.validate()
  data = load_dataset(spec.dataset, canvas=spec.canvas)
  if spec.sizes and max(spec.sizes) > len(data.y_train):
    raise ValueError(f'sizes={list(spec.sizes)!r}: {spec.dataset} has {len(data.y_train)} training '
                     'examples')
  workdir = results.prepare_workdir(workdir, to_json(spec), overwrite)
  path = workdir / results.RESULTS_FILE
  done = {(r['arch'], r['n'], r['seed']) for r in results.read_records(path)}
  sizes = spec.sizes or (len(data.y_train),)
  for arch, n, seed in itertools.product(spec.archs, sizes, spec.seeds):
    if (arch, n, seed) in done:
      continue
    record = train_one(spec, arch, n, seed, data)
    logging.info('%s n %d seed %d: seen %.3f unseen %.3f consistency %.3f train %.3f (%.1fs)', arch,
                 n, seed, record['seen_accuracy'], record['unseen_accuracy'],
                 record['consistency'], record['train_accuracy'], record['wall_time_s'])
    results.append_record(path, record)
  rows = summarize(results.read_records(path), spec.archs)
  write_summaries(spec, rows, workdir)
  return rows


def main(argv):
  del argv
  sweep_flags.configure_devices()
  protocols.set_train_defaults(_DATASET.value)
  spec = spec_from_flags()
  rows = run(spec, _WORKDIR.value, sweep_flags.OVERWRITE.value)
  print(markdown_table(rows))
