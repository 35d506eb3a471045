"""The engine's program for many MNIST-1D paper CNNs, timed; the GEMMs of one of its steps alone."""

import time

import jax
import numpy as np

from lib.analysis import benchmark, gemm_floor
from lib.engine import experiment, grids, protocols, sharding, training


def engine_trainer(data, runs: int, config: training.TrainConfig, method: str = 'auto',
                   arch: str = 'cnn'):
  """Compiles the engine's program for `runs` runs of the paper's `arch` ('cnn'; 'lcn', its untied
  twin, executes the same multiply-adds), each on the whole training set, in one call.

  Returns:
    `(compile_s, train, flops)`: `train()` trains every run once and returns `(seconds, test
    accuracies)`; `flops` is one run's floating-point operations (`experiment.cost_per_run`).
  """
  num = len(data.y_train)
  group = experiment.Group(
      name=arch, model=protocols.model(arch, 'mnist1d', data.num_classes, method), train=config,
      data=grids.arrays(data), runs=tuple({'arch': arch, 'n': num, 'seed': s} for s in range(runs)))
  mesh = sharding.run_mesh()
  tic = time.time()
  program = experiment.Program(group, experiment.Options(chunk_size=runs, memory_budget_gb=1e3),
                               mesh, experiment.place(group, mesh))
  compile_s = time.time() - tic
  args = (np.arange(runs, dtype=np.int32), np.full(runs, num, np.int32),
          experiment.subsets(group, list(group.runs)))

  def train():
    tic = time.time()
    metrics = program(*args)
    return time.time() - tic, metrics['test_accuracy'][:runs, -1].tolist()

  return compile_s, train, 2 * experiment.cost_per_run(group)


def gemms_alone(data, runs: int, config: training.TrainConfig, method: str = 'auto') -> dict:
  """The GEMMs of one engine step by themselves, patches given (`lib.analysis.gemm_floor`): every
  layer's forward and both gradients for `runs` runs, vmapped, at the protocol's batch, the runs
  sharded over the devices as the engine shards them (where they divide evenly).

  Returns:
    `{'time': () -> seconds of one call (the median of several), 'flops': per call}`.
  """
  model = protocols.model('cnn', 'mnist1d', data.num_classes, method)
  infos = model.describe(data.x_train.shape[1:])[1]
  fn, args, flops = gemm_floor.step(infos, config.batch_size, runs, jax.random.key(0))
  mesh = sharding.run_mesh()
  if runs % mesh.size == 0:
    args = jax.tree.map(lambda a: sharding.shard_runs(np.asarray(a), mesh), args)
  return {'time': lambda: benchmark.time_jitted(fn, *args, budget_s=1.0).median_s, 'flops': flops}


def rate(name: str, runs: int, compile_s: float, timings: list[tuple[float, list]], flops: float,
         peak_gflops: float) -> dict:
  """Models per minute and GFLOP/s of a trainer from its best timing (`flops` per model)."""
  best = min(seconds for seconds, _ in timings)
  gflops = flops * runs / best / 1e9
  return {'name': name, 'runs': runs, 'compile_s': compile_s,
          'train_s': [seconds for seconds, _ in timings], 'best_train_s': best,
          'models_per_minute': 60 * runs / best, 'test_accuracy': timings[-1][1],
          'gflops': gflops, 'peak_fraction': gflops / peak_gflops}
