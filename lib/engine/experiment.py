"""The one engine: an experiment's runs, grouped by compiled shape, trained vmapped and sharded.

An experiment is data plus a grid of runs. It hands the engine `Group`s: runs that share a model, a
training protocol and a dataset, and so one compiled program `jax.jit(jax.vmap(train))`, optionally with
an in-program augmentation of every minibatch, an in-program evaluation of the final parameters, its
own optimizer or initialisation. The engine trains every run that the work directory lacks, in chunks
whose width (runs per compiled call) is chosen from the compiled program's own memory estimate, shards
each chunk's run axis over every device, appends each finished run as one JSON line, reports progress
with an ETA, and returns every record of the grid. Groups train costliest first (their multiply-adds),
so that the first ETA is measured on the work that dominates the run; each record carries its
`grid_index` (its position in the experiment's grid), and records come back in grid order.
"""

import dataclasses
import json
import time
from collections.abc import Callable

import jax
import numpy as np
import optax
from absl import logging

from lib.core import counting
from lib.core.layers import Layer
from lib.data import inputs, nested_balanced_subsets
from lib.engine import (compilation, grid_file, interrupt, progress, provenance, results, sharding,
                        training, widths)

CONVERGED = 0.98
REQUIRED = ('arch', 'n', 'seed')
CACHE_NOTES = {
    'off': '', 'read': ', read from the compilation cache',
    'written': ' and stored in the compilation cache',
    'not stored': ' (not stored in the compilation cache: jax stores only programs that took 1 s or '
                  'more to compile, and jax 0.10.2 none with host callbacks, which the progress lines '
                  'and Ctrl-C use; jax 0.12 stores those)'}


@dataclasses.dataclass(frozen=True, eq=False)
class Group:
  """Runs that share one compiled program.

  Attributes:
    name: names the group in progress lines, e.g. 'cnn permuted'.
    model: the network, `apply(params, x [batch, *grid, C]) -> logits [batch, classes]`.
    train: the training protocol of every run.
    data: `{'x_train': [N, *grid, C] float32, 'y_train': [N] int32, 'x_test': [M, *grid, C],
      'y_test': [M]}` host arrays.
    runs: each run's identity, a dict of JSON scalars with at least 'arch', 'n' (training-set size, a
      class-balanced subset nested across n for one seed) and 'seed'; other keys are grid axes.
    augment: optional `augment(key, x [batch, *grid, C]) -> x`, applied to every training minibatch.
    evaluate: optional `evaluate(params, data) -> {name: array}` of the final parameters, traced
      inside the compiled, vmapped program; its outputs go into each run's record.
    optimizer: optional optax transformation replacing the one `train` names.
    init: optional `init(key, in_shape) -> params` replacing `model.init`.
    sample: optional `sample(key, batch) -> (x, y)`: online learning on fresh examples every step
      (`training.make_train`); the data's training arrays then only serve the train metrics.
    loss: optional per-example `loss(logits, y) -> [batch]` replacing cross-entropy.
    track: optional `track(params) -> {name: array}` at every evaluation point; each output goes
      into the record as a curve.
  """
  name: str
  model: Layer
  train: training.TrainConfig
  data: dict
  runs: tuple
  augment: Callable | None = None
  evaluate: Callable | None = None
  optimizer: optax.GradientTransformation | None = None
  init: Callable | None = None
  sample: Callable | None = None
  loss: Callable | None = None
  track: Callable | None = None


@dataclasses.dataclass(frozen=True)
class Options:
  """How the engine trains.

  Attributes:
    chunk_size: most runs per compiled call; None: the device's rule (`widths.chunk_size`: 8 on a CPU,
      every run of a group on a GPU or TPU).
    memory_budget_gb: the most memory (GB, all devices of the mesh together) a chunk may take by the
      compiled program's own estimate; chunks are narrowed to fit. None: the device's rule
      (`widths.memory_budget_bytes`: 3 GB on a CPU, 90% of the free device memory on a GPU or TPU).
    eval_batch_size: examples per evaluation batch inside the program.
    overwrite: replace a work directory of another config (moved aside at the first new record).
  """
  chunk_size: int | None = None
  memory_budget_gb: float | None = None
  eval_batch_size: int = 500
  overwrite: bool = False

  def validate(self) -> None:
    """Raises ValueError naming the flag and value that is out of range."""
    for name in ('chunk_size', 'eval_batch_size'):
      value = getattr(self, name)
      if (value is not None or name != 'chunk_size') and (not isinstance(value, int) or value < 1):
        raise ValueError(f'{name}={value!r}: must be a positive int')
    if self.memory_budget_gb is not None and not 0 < self.memory_budget_gb < float('inf'):
      raise ValueError(f'memory_budget_gb={self.memory_budget_gb!r}: must be positive and finite')


def run_id(run: dict) -> tuple:
  """A run's identity as a hashable key: its fields, sorted."""
  return tuple(sorted(run.items()))


def validate(groups: list[Group]) -> None:
  """Raises ValueError for malformed groups or a grid with a duplicate run, before anything compiles."""
  if not groups:
    raise ValueError('the experiment has no runs')
  seen = set()
  for group in groups:
    group.train.validate()
    num_train = group.data['x_train'].shape[0]
    for run in group.runs:
      missing = [k for k in REQUIRED if k not in run]
      if missing:
        raise ValueError(f'run {run!r} of group {group.name!r} lacks {missing}')
      if not isinstance(run['n'], int) or not 1 <= run['n'] <= num_train:
        raise ValueError(f"sizes: n={run['n']!r} is out of range; {group.name!r} has {num_train} "
                         'training examples')
      if not isinstance(run['seed'], int) or run['seed'] < 0:
        raise ValueError(f"seeds: seed={run['seed']!r} must be a non-negative int")
      if run_id(run) in seen:
        raise ValueError(f'run {run!r} appears twice in the grid')
      seen.add(run_id(run))


def subsets(group: Group, runs: list[dict]) -> np.ndarray:
  """`[len(runs), max n of the group] int32`: each run's subset indices, zero-padded after its n."""
  width = max(r['n'] for r in group.runs)
  labels = group.data['y_train']
  rows = []
  for run in runs:
    index = nested_balanced_subsets(labels, [run['n']], run['seed'])[run['n']]
    rows.append(np.pad(index.astype(np.int32), (0, width - run['n'])))
  return np.stack(rows)


def cost_per_run(group: Group) -> float:
  """Multiply-adds of one run: 3 x MACs per example x (trained + evaluated examples)."""
  macs = counting.model_cost(group.model, group.data['x_train'].shape[1:]).macs_factored
  evaluated = group.train.num_evals * (max(r['n'] for r in group.runs) + len(group.data['y_test']))
  return float(macs) * (3 * group.train.steps * group.train.batch_size + evaluated)


def make_record(run: dict, metrics: dict, train: training.TrainConfig, extra: dict) -> dict:
  """The JSON record of one finished run.

  Args:
    run: the run's identity.
    metrics: `{metric: [num_evals]}` for training.METRICS, plus evaluation outputs (any shape).
    train: the run's protocol.
    extra: fields every record of the experiment carries (config, provenance, wall time, ...).

  Returns:
    The identity, final metrics, curves, evaluation outputs (None for a diverged run, whose
    parameters are not finite), `diverged` (a loss became NaN or infinite) and `converged` (final train accuracy at least CONVERGED; None if diverged).
  """
  curves = {k: np.asarray(metrics[k], float) for k in training.METRICS}
  diverged = not all(np.isfinite(curves[k]).all() for k in ('train_loss', 'test_loss'))
  record = dict(run, identity=sorted(run))
  record.update({k: float(v[-1]) for k, v in curves.items()})
  record['curves'] = {'step': train.eval_steps, **{k: v.tolist() for k, v in curves.items()}}
  for name, value in metrics.items():
    if name not in training.METRICS:
      record[name] = None if diverged else np.asarray(value).tolist()
  record['diverged'] = diverged
  record['converged'] = None if diverged else bool(record['train_accuracy'] >= CONVERGED)
  record['protocol'] = dataclasses.asdict(train)
  record.update(extra)
  return record


def place(group: Group, mesh, placed: dict | None = None) -> dict:
  """The group's data replicated on every device of `mesh`; `placed` caches arrays shared by groups."""
  placed = {} if placed is None else placed
  data = {}
  for name, array in group.data.items():
    if id(array) not in placed:
      placed[id(array)] = sharding.replicate(np.asarray(array), mesh)
    data[name] = placed[id(array)]
  return data


class Program:
  """One group's compiled, vmapped, sharded training program at a chosen chunk width.

  Args:
    group: the runs.
    options: chunk size, memory budget, evaluation batch.
    mesh: the device mesh (`sharding.run_mesh()`).
    data: the group's data on the mesh (`place`).
    tracker: receives compile time and progress; None for none.

  Attributes:
    width: runs per call (a multiple of the device count): the most that `options` (or the device's
      rule, `widths`) allows whose estimated memory fits the budget.
    compiled: the compiled program.
    compile_s: seconds spent compiling it (or reading it from the persistent compilation cache).
    cache: what the persistent cache did: 'off', 'read', 'written' or 'not stored'
      (`compilation.CacheEvents.status`).
  """

  def __init__(self, group: Group, options: Options, mesh, data,
               tracker: progress.Tracker | None = None):
    self.mesh, self.data = mesh, data
    tracker = tracker if tracker is not None else progress.Tracker(len(group.runs), 0)

    def report(steps):
      interrupt.check()
      tracker.steps_done(int(steps))

    train = training.make_train(
        group.model, group.train, training.identity_tag(group.runs[0]['arch']),
        augment=group.augment, evaluate=group.evaluate, optimizer=group.optimizer,
        init=group.init, eval_batch_size=options.eval_batch_size, progress=report,
        sample=group.sample, loss=group.loss, track=group.track)
    self._jitted = jax.jit(jax.vmap(train, in_axes=(0, 0, 0, None)))
    self._max_n = max(r['n'] for r in group.runs)
    devices = mesh.devices.size
    mine = widths.local_devices(mesh)
    budget = widths.memory_budget_bytes(mine, devices, options.memory_budget_gb)
    chunk_size = widths.chunk_size(mine, len(group.runs), options.chunk_size)
    most = min(sharding.padded_size(chunk_size, mesh), sharding.padded_size(len(group.runs), mesh))
    tic = time.time()
    with compilation.watch() as cache:
      self.compiled, self.width = self._compile(most), most
      fixed, per_run = self._bytes(self.compiled, most)
      fit = int((budget - fixed) // max(per_run, 1))
      width = max(devices, min(most, fit - fit % devices))
      if width < most:
        self.compiled, self.width = self._compile(width), width
    self.compile_s, self.cache = time.time() - tic, cache.status
    estimate = fixed + per_run * self.width
    tracker.compiled(self.compile_s, self.cache)
    logging.info('%s: %d runs per compiled call (estimated %.0f MB; budget %.0f MB); compiled in '
                 '%.1f s%s.', group.name, self.width, estimate / 2**20, budget / 2**20,
                 self.compile_s, CACHE_NOTES[self.cache])
    if estimate > budget:
      logging.warning('%s: even %d run(s) per call are estimated at %.0f MB, over the budget of '
                      '%.0f MB (--memory_budget_gb).', group.name, self.width, estimate / 2**20,
                      budget / 2**20)

  def _compile(self, width: int):
    spec = jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(sharding.AXIS))
    scalar = jax.ShapeDtypeStruct((width,), np.int32, sharding=spec)
    index = jax.ShapeDtypeStruct((width, self._max_n), np.int32, sharding=spec)
    return self._jitted.lower(scalar, scalar, index, self.data).compile()

  def _bytes(self, compiled, width: int) -> tuple[float, float]:
    """`(bytes that do not grow with the width, bytes per run)` on this host, by XLA's estimate."""
    stats = compiled.memory_analysis()
    devices = self.mesh.devices.size
    if stats is None:
      return 0.0, 0.0
    fixed = devices * stats.argument_size_in_bytes
    per_run = devices * (stats.temp_size_in_bytes + stats.output_size_in_bytes) / width
    return float(fixed), float(per_run)

  def __call__(self, seeds: np.ndarray, sizes: np.ndarray, index: np.ndarray) -> dict:
    """Trains a chunk: `seeds [r]`, `sizes [r]`, `index [r, max_n]` with r <= width; returns the
    metrics on the host, `{name: [width, ...]}` (rows past r are padding)."""
    put = lambda a: sharding.shard_runs(sharding.pad_runs(a, self.width), self.mesh)
    out = self.compiled(put(seeds), put(sizes), put(index), self.data)
    return sharding.to_host(out)


def _chunks(runs: list, width: int) -> list[list]:
  """Runs split into the fewest chunks of at most `width`, evened out."""
  count = -(-len(runs) // width)
  bounds = [len(runs) * i // count for i in range(count + 1)]
  return [runs[start:stop] for start, stop in zip(bounds, bounds[1:])]


def _label(group: Group, chunk: list[dict]) -> str:
  sizes = sorted({r['n'] for r in chunk})
  return f"{group.name} n={','.join(map(str, sizes))} ({len(chunk)} runs)"


def run(groups: list[Group], workdir: str, config: dict, options: Options = Options()) -> list[dict]:
  """Trains every run of `groups` that `workdir` has not recorded yet, then returns all records.

  Args:
    groups: the experiment's runs.
    workdir: its work directory (`config.json`, `results.jsonl`).
    config: the experiment's JSON config; a work directory of another config is refused unless
      `options.overwrite` (grid axes do not count: `lib.engine.identity`). The fingerprints of the
      input files of the datasets it names are added under `inputs` (`lib.data.inputs`).
    options: chunking, memory and evaluation settings.

  Returns:
    Every record of the grid's runs, in grid order. The grid's run identities are stored in the work
    directory (`lib.engine.grid_file`); a grid left incomplete is logged.

  Raises:
    ValueError: for malformed groups, bad options or an unusable work directory, before anything
      compiles.
    interrupt.Interrupted: on SIGINT; runs finished before it are recorded.
  """
  options.validate()
  validate(groups)
  config = json.loads(json.dumps(config))
  files = inputs.named_in(config)
  if files:
    config['inputs'] = files
  grid = [r for g in groups for r in g.runs]
  position = {run_id(r): i for i, r in enumerate(grid)}
  writer = jax.process_index() == 0
  with results.Workdir(workdir, config, overwrite=options.overwrite, writer=writer) as work:
    if writer:
      grid_file.write(work.path, grid)
    done = {_recorded_id(r) for r in work.records()}
    pending = [(g, [r for r in g.runs if run_id(r) not in done]) for g in groups]
    pending = sorted([(g, runs) for g, runs in pending if runs],
                     key=lambda item: -len(item[1]) * cost_per_run(item[0]))
    total = len(position)
    todo = sum(len(runs) for _, runs in pending)
    logging.info('%d runs, %d already recorded in %s, %d to train.', total, total - todo,
                 work.path, todo)
    if pending:
      _train(pending, work, config, options, total, total - todo, position, writer=writer)
    mine = [r for r in work.records() if _recorded_id(r) in position]
    incomplete = grid_file.describe(grid, mine)
    if incomplete:  # e.g. results.jsonl was removed while the sweep ran
      logging.warning('%s %s lacks them: run the same command again to train them.', incomplete,
                      work.path / results.RESULTS_FILE)
    return sorted(mine, key=lambda r: position[_recorded_id(r)])


def _recorded_id(record: dict) -> tuple:
  """The identity of a recorded run (its `identity` field names the fields)."""
  return run_id({k: record[k] for k in record['identity']})


def _train(pending, work, config, options, total, already, position, writer):
  mesh = sharding.run_mesh()
  tracker = progress.Tracker(total, already)
  for group, runs in pending:
    tracker.add_group(group.name, len(runs), cost_per_run(group), group.train.steps)
  extra = {'config': config, 'provenance': provenance.provenance()}
  placed = {}
  with interrupt.catching_sigint():
    for group, runs in pending:
      program = Program(group, options, mesh, place(group, mesh, placed), tracker)
      methods = counting.contraction_methods(group.model, group.data['x_train'].shape[1:])
      group_extra = dict(extra, provenance=dict(extra['provenance'], contraction=methods))
      for chunk in _chunks(runs, program.width):
        tracker.start_chunk(group.name, _label(group, chunk), len(chunk))
        tic = time.time()
        try:
          interrupt.check()  # SIGINT during a compile or between chunks
          with interrupt.quiet_callback_errors():
            out = program(np.array([r['seed'] for r in chunk], np.int32),
                          np.array([r['n'] for r in chunk], np.int32), subsets(group, chunk))
        except Exception as error:  # pylint: disable=broad-except
          if isinstance(error, interrupt.Interrupted) or interrupt.requested():
            raise interrupt.Interrupted(
                f'{len(work.records())} runs are recorded in {work.path}; run the same command '
                'again to resume.') from None
          raise
        share = (time.time() - tic) / len(chunk)
        for i, run_ in enumerate(chunk):
          record = make_record(run_, {k: v[i] for k, v in out.items()}, group.train,
                               {**group_extra, 'group': group.name, 'wall_time_s': share,
                                'compile_time_s': program.compile_s,
                                'compiled_from_cache': program.cache == 'read',
                                'grid_index': position[run_id(run_)]})
          if record['diverged']:
            logging.warning('Run %s diverged (a loss became NaN or infinite); it is recorded and '
                            'left out of the means.', run_)
          if writer:
            work.append(record)
        tracker.end_chunk()
