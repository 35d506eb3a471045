"""A grid of training runs: validated, grouped by shape, vmapped, sharded, recorded, resumable.

The grid is architectures x training-set sizes x seeds on one dataset under one TrainConfig. Runs of one
architecture share shapes (sizes differ only through a padded index array), so each architecture
compiles one program, `jax.jit(jax.vmap(train))`, which trains a chunk of runs at once with the run axis
sharded over every device. Each finished run is appended as one line to `WORKDIR/results.jsonl`;
re-running with the same work directory trains only the runs that have no line yet.
"""

import dataclasses
import json
import math
import platform
import time

import flax
import jax
import numpy as np
import optax
from absl import logging

from lib.core import contraction, models
from lib.engine import results, sharding, training
from lib.data import Dataset, fixed_permutation, load_dataset, nested_balanced_subsets, permute_positions


@dataclasses.dataclass(frozen=True)
class SweepSpec:
  """What a sweep trains.

  Attributes:
    archs: model names from `lib.core.models.ZOO`.
    sizes: training-set sizes n; each run trains on a class-balanced subset of n examples, nested
      across sizes for one seed.
    seeds: each seed picks the subsets and (with the run's architecture and n) the run's key.
    train: the training protocol shared by every run.
    dataset: a `lib.data.load_dataset` spec.
    permute_pixels: apply one fixed permutation of grid positions to train and test alike.
    permutation_seed: the seed of that permutation.
    method: the factored contraction of every pattern layer (`lib.core.contraction.METHODS`).
  """
  archs: tuple[str, ...]
  sizes: tuple[int, ...]
  seeds: tuple[int, ...]
  train: training.TrainConfig = training.TrainConfig()
  dataset: str = 'mnist1d'
  permute_pixels: bool = False
  permutation_seed: int = 0
  method: str = 'auto'

  def to_json(self) -> dict:
    """The spec as a JSON dict (lists, not tuples), as the workdir's config stores it."""
    return json.loads(json.dumps(dataclasses.asdict(self)))

  def validate(self, data: Dataset) -> None:
    """Raises ValueError, naming the flag and value, for a spec that cannot run on `data`."""
    if not self.archs:
      raise ValueError('archs=(): give at least one architecture')
    for arch in self.archs:
      if arch not in models.ZOO:
        raise ValueError(f'archs: arch={arch!r} is unknown; expected one of {sorted(models.ZOO)}')
    if not self.sizes:
      raise ValueError('sizes=(): give at least one training-set size')
    low, high = data.num_classes, data.x_train.shape[0]
    for n in self.sizes:
      if not isinstance(n, int) or not low <= n <= high:
        raise ValueError(f'sizes: n={n!r} is out of range; training-set sizes must be ints in '
                         f'[{low}, {high}] (the number of classes and of training examples of '
                         f'{data.name})')
    if not self.seeds:
      raise ValueError('seeds=(): give at least one seed')
    for seed in self.seeds:
      if not isinstance(seed, int) or seed < 0:
        raise ValueError(f'seeds: seed={seed!r} is invalid; seeds must be non-negative ints')
    for name, values in (('archs', self.archs), ('sizes', self.sizes), ('seeds', self.seeds)):
      if len(set(values)) != len(values):
        raise ValueError(f'{name}={values!r}: duplicate entries')
    self.train.validate()
    if self.method not in contraction.METHODS:
      raise ValueError(f'method={self.method!r}: expected one of {contraction.METHODS}')


@dataclasses.dataclass(frozen=True)
class Run:
  """One run's identity."""
  arch: str
  n: int
  seed: int


def plan(spec: SweepSpec) -> list[Run]:
  """Every run of the grid, architecture-major (one compiled program per architecture)."""
  return [Run(a, n, s) for a in spec.archs for n in spec.sizes for s in spec.seeds]


def prepare_data(spec: SweepSpec, data: Dataset) -> dict[str, np.ndarray]:
  """The arrays every run reads: `{'x_train', 'y_train', 'x_test', 'y_test'}`, permuted if asked."""
  x_train, x_test = data.x_train, data.x_test
  if spec.permute_pixels:
    perm = fixed_permutation(math.prod(data.grid), spec.permutation_seed)
    x_train, x_test = permute_positions(x_train, perm), permute_positions(x_test, perm)
  return {'x_train': x_train, 'y_train': data.y_train, 'x_test': x_test, 'y_test': data.y_test}


def subset_table(spec: SweepSpec, labels: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
  """`{(seed, n): [max(sizes)] int32}`: each run's subset indices, zero-padded after its first n."""
  width = max(spec.sizes)
  table = {}
  for seed in spec.seeds:
    for n, index in nested_balanced_subsets(labels, spec.sizes, seed).items():
      table[seed, n] = np.pad(index.astype(np.int32), (0, width - n))
  return table


def _environment() -> dict:
  return {'jax': jax.__version__, 'flax': flax.__version__, 'optax': optax.__version__,
          'python': platform.python_version(), 'device_kind': jax.devices()[0].device_kind,
          'platform': jax.default_backend(), 'num_devices': jax.device_count()}


def _finite_or_none(value: float):
  return value if math.isfinite(value) else None


def make_record(spec: SweepSpec, run: Run, curves: dict[str, np.ndarray], wall_time_s: float,
                environment: dict) -> dict:
  """The JSON record of one finished run.

  Args:
    spec: the sweep.
    run: the run.
    curves: `{metric: [num_evals]}` at `spec.train.eval_steps`.
    wall_time_s: this run's share of its chunk's wall time.
    environment: library versions and device.

  Returns:
    A dict: identity, final metrics (None where not finite), curves, `diverged` (a loss became NaN or
    infinite), wall time, the sweep config and the environment.
  """
  diverged = not all(np.isfinite(curves[k]).all() for k in ('train_loss', 'test_loss'))
  record = dataclasses.asdict(run)
  record.update({k: _finite_or_none(float(curves[k][-1])) for k in training.METRICS})
  record['curves'] = {'step': spec.train.eval_steps,
                      **{k: [_finite_or_none(float(v)) for v in curves[k]]
                         for k in training.METRICS}}
  record.update(diverged=diverged, wall_time_s=wall_time_s, config=spec.to_json(), **environment)
  return record


def _chunks(runs: list[Run], size: int) -> list[list[Run]]:
  return [runs[i:i + size] for i in range(0, len(runs), size)]


def chunk_width(num_runs: int, chunk_size: int, mesh) -> int:
  """Runs per compiled call: the fewest chunks of at most ~chunk_size, evened out, padded to devices."""
  num_chunks = -(-num_runs // chunk_size)
  return sharding.padded_size(-(-num_runs // num_chunks), mesh)


def run_sweep(spec: SweepSpec, workdir: str, *, overwrite: bool = False, chunk_size: int = 8,
              data: Dataset | None = None) -> list[dict]:
  """Trains every run of the grid that `workdir` has not recorded yet, then returns all records.

  Args:
    spec: the sweep.
    workdir: its work directory: `config.json` and `results.jsonl`.
    overwrite: replace a work directory that holds a different sweep instead of refusing it.
    chunk_size: most runs per compiled call (bounds memory); rounded up to the device count.
    data: the dataset, if already loaded; else `load_dataset(spec.dataset)`.

  Returns:
    One record per run of the grid (see `make_record`), in the order of `results.jsonl`.

  Raises:
    ValueError: for an invalid spec or chunk size, or a work directory of another sweep; all before
      anything compiles.
  """
  if not isinstance(chunk_size, int) or chunk_size < 1:
    raise ValueError(f'chunk_size={chunk_size!r}: must be a positive int')
  data = data if data is not None else load_dataset(spec.dataset)
  spec.validate(data)
  workdir = results.prepare_workdir(workdir, spec.to_json(), overwrite)
  results_path = workdir / results.RESULTS_FILE
  done = {(r['arch'], r['n'], r['seed']) for r in results.read_records(results_path)}
  runs = plan(spec)
  pending = [r for r in runs if (r.arch, r.n, r.seed) not in done]
  logging.info('Sweep: %d runs, %d already recorded in %s, %d to train.', len(runs),
               len(runs) - len(pending), results_path, len(pending))
  if pending:
    _train_pending(spec, data, pending, results_path, chunk_size, total=len(runs),
                   already=len(runs) - len(pending))
  return results.read_records(results_path)


def _train_pending(spec, data, pending, results_path, chunk_size, total, already):
  mesh = sharding.run_mesh()
  arrays = prepare_data(spec, data)
  on_devices = {k: sharding.replicate(v, mesh) for k, v in arrays.items()}
  subsets = subset_table(spec, data.y_train)
  environment = _environment()
  writer = jax.process_index() == 0
  start, finished = time.time(), 0
  for arch in spec.archs:
    group = [r for r in pending if r.arch == arch]
    if not group:
      continue
    width = chunk_width(len(group), chunk_size, mesh)
    model = models.by_name(arch, data.num_classes, method=spec.method)
    train = training.make_train(model, spec.train, training.identity_tag(arch))
    trained = jax.jit(jax.vmap(train, in_axes=(0, 0, 0, None)))
    for chunk in _chunks(group, width):
      seeds = sharding.pad_runs(np.array([r.seed for r in chunk], np.int32), width)
      sizes = sharding.pad_runs(np.array([r.n for r in chunk], np.int32), width)
      index = sharding.pad_runs(np.stack([subsets[r.seed, r.n] for r in chunk]), width)
      tic = time.time()
      curves = trained(sharding.shard_runs(seeds, mesh), sharding.shard_runs(sizes, mesh),
                       sharding.shard_runs(index, mesh), on_devices)
      curves = sharding.to_host(curves)
      share = (time.time() - tic) / len(chunk)
      for i, run in enumerate(chunk):
        record = make_record(spec, run, {k: v[i] for k, v in curves.items()}, share, environment)
        if record['diverged']:
          logging.warning('Run %s diverged (a loss became NaN or infinite).', run)
        if writer:
          results.append_record(results_path, record)
      finished += len(chunk)
      elapsed = time.time() - start
      eta = elapsed / finished * (len(pending) - finished)
      logging.info('Runs done %d/%d (%s: %d in %.1fs); elapsed %.0fs, ETA %.0fs.',
                   already + finished, total, arch, len(chunk), time.time() - tic, elapsed, eta)
