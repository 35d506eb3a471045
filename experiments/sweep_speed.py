"""Benchmark: trained MNIST-1D paper CNNs per minute, this engine (vmapped runs) vs a per-step jit loop.

Both train the paper's CNN with its protocol (Adam 1e-2, batch 100, 6000 steps; the training flags
change it) on all 4000 training signals, in this one process, with one evaluation at the end.
The engine trains --runs runs in one compiled program (`lax.scan` over steps, `vmap` over runs,
sharded over the local devices); the baseline is the usual JAX style, a `@jax.jit` step function
called from a Python loop with minibatches sampled by NumPy, for --loop_runs models one after the
other, once with this project's layers (the engine's model) and once with the same CNN written with
flax.linen.Conv. Each is timed --repeats times, interleaved with a 2048^3 float32 matmul, and the
best counts; compile time is excluded from both rates and reported apart. GFLOP/s count 2 x the
multiply-adds of one engine run (`experiment.cost_per_run`: 3 x the model's per example and step,
plus its one evaluation) per trained model, against the fastest of those matmuls (the peak). The
GEMMs of one engine step by themselves (`lib.analysis.gemm_floor`: every layer's forward and both
gradients for --runs runs, patches given), timed in the same rounds, say what the arithmetic reaches
at these shapes before any patch is read or written. Writes sweep_speed.json and summary.md (the
rates as a table) to --workdir.
"""

import json
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import flags
from flax import linen

from experiments import sweep_flags
from lib.analysis import benchmark, gemm_floor, peak
from lib.data import load_dataset
from lib.engine import experiment, grids, protocols, sharding, training
from lib.report import render

sweep_flags.define_dataset('mnist1d', 'Only mnist1d: the benchmark trains the paper\'s CNN.')

_WORKDIR = flags.DEFINE_string('workdir', 'runs/sweep_speed', 'Where sweep_speed.json is written.')
_RUNS = flags.DEFINE_integer('runs', 16, 'Runs trained together by the engine.', lower_bound=1)
_LOOP_RUNS = flags.DEFINE_integer('loop_runs', 1, 'Models trained one by one by the jitted loop.',
                                  lower_bound=1)
_LOOP_LAYERS = flags.DEFINE_multi_enum('loop_layers', ['ours', 'flax'], ['ours', 'flax'],
                                       "The loop's CNN: this project's layers (the engine's model) "
                                       'and/or flax.linen.Conv.')
_REPEATS = flags.DEFINE_integer('repeats', 2, 'Timed repetitions of each, interleaved; the best '
                                'counts (other processes on the machine only ever slow a repetition).',
                                lower_bound=1)
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')


def engine_trainer(data, runs: int, config: training.TrainConfig, method: str):
  """Compiles the engine's program for `runs` CNNs, each on the whole training set.

  Returns:
    `(compile_s, train, flops)`: `train()` trains every run once and returns `(seconds, test
    accuracies)`; `flops` is one run's floating-point operations.
  """
  num = len(data.y_train)
  group = experiment.Group(
      name='cnn', model=protocols.model('cnn', 'mnist1d', data.num_classes, method), train=config,
      data=grids.arrays(data), runs=tuple({'arch': 'cnn', 'n': num, 'seed': s} for s in range(runs)))
  mesh = sharding.run_mesh()
  tic = time.time()
  program = experiment.Program(group, experiment.Options(chunk_size=runs, memory_budget_gb=1e3),
                               mesh, experiment.place(group, mesh))
  compile_s = time.time() - tic
  args = (np.arange(runs, dtype=np.int32), np.full(runs, num, np.int32),
          experiment.subsets(group, list(group.runs)))

  def run_all():
    tic = time.time()
    metrics = program(*args)
    return time.time() - tic, metrics['test_accuracy'][:runs, -1].tolist()

  return compile_s, run_all, 2 * experiment.cost_per_run(group)


def gemms_alone(data, runs: int, config: training.TrainConfig, method: str) -> dict:
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
  if runs % mesh.size == 0:  # the runs over the devices, as the engine places them
    args = jax.tree.map(lambda a: sharding.shard_runs(np.asarray(a), mesh), args)
  return {'time': lambda: benchmark.time_jitted(fn, *args, budget_s=1.0).median_s, 'flops': flops}


class FlaxCNN(linen.Module):
  """The paper's CNN written with flax.linen.Conv (XLA's convolution), as usual JAX code would."""
  num_classes: int

  @linen.compact
  def __call__(self, x):
    for kernel in (5, 3, 3):
      x = linen.relu(linen.Conv(25, (kernel,), strides=2, padding=1)(x))
    return linen.Dense(self.num_classes)(x.reshape(x.shape[0], -1))


def loop_model(layers: str, num_classes: int, method: str) -> tuple:
  """`(init(key, in_shape) -> (out_shape, params), apply)` of the loop's CNN: 'ours' or 'flax'."""
  if layers == 'ours':
    model = protocols.model('cnn', 'mnist1d', num_classes, method)
    return model.init, model.apply
  module = FlaxCNN(num_classes)
  return (lambda key, in_shape: (None, module.init(key, np.zeros((1, *in_shape), np.float32))),
          module.apply)


def loop_trainer(data, loop_runs: int, config: training.TrainConfig, method: str, layers: str):
  """Compiles a jitted step for one CNN (`loop_model(layers)`), to be called from a Python loop.

  Returns:
    `(compile_s, train)`: `train()` trains `loop_runs` models one after the other and returns
    `(seconds, test accuracies)`.
  """
  init, apply = loop_model(layers, data.num_classes, method)
  optimizer = training.make_optimizer(config)

  def loss_fn(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(apply(params, x), y).mean()

  @jax.jit
  def step(params, opt_state, x, y):
    grads = jax.grad(loss_fn)(params, x, y)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  @jax.jit
  def accuracy(params, x, y):
    return (jnp.argmax(apply(params, x), -1) == y).mean()

  x_train, y_train = data.x_train, data.y_train
  batch = config.batch_size
  _, params = init(jax.random.PRNGKey(0), x_train.shape[1:])
  tic = time.time()
  jax.block_until_ready(step(params, optimizer.init(params), x_train[:batch], y_train[:batch]))
  jax.block_until_ready(accuracy(params, data.x_test, data.y_test))
  compile_s = time.time() - tic

  def run_all():
    accuracies, tic = [], time.time()
    for seed in range(loop_runs):
      rng = np.random.default_rng(seed)
      _, params = init(jax.random.PRNGKey(seed), x_train.shape[1:])
      opt_state = optimizer.init(params)
      for _ in range(config.steps):
        rows = rng.integers(0, len(x_train), batch)
        params, opt_state = step(params, opt_state, x_train[rows], y_train[rows])
      accuracies.append(float(accuracy(params, data.x_test, data.y_test)))
    return time.time() - tic, accuracies

  return compile_s, run_all


def _rate(name: str, runs: int, compile_s: float, timings: list[tuple[float, list]], flops: float,
          peak_gflops: float) -> dict:
  best = min(seconds for seconds, _ in timings)
  gflops = flops * runs / best / 1e9
  return {'name': name, 'runs': runs, 'compile_s': compile_s,
          'train_s': [seconds for seconds, _ in timings], 'best_train_s': best,
          'models_per_minute': 60 * runs / best, 'test_accuracy': timings[-1][1],
          'gflops': gflops, 'peak_fraction': gflops / peak_gflops}


def main(argv):
  del argv
  sweep_flags.configure_devices()
  if flags.FLAGS.dataset != 'mnist1d':
    raise ValueError(f'dataset={flags.FLAGS.dataset!r}: sweep_speed trains the MNIST-1D paper\'s CNN '
                     'on mnist1d only')
  config = sweep_flags.train_config(eval_every=flags.FLAGS.steps)
  data = load_dataset('mnist1d')
  engine_compile_s, engine, flops = engine_trainer(data, _RUNS.value, config,
                                                   sweep_flags.METHOD.value)
  loops = {name: loop_trainer(data, _LOOP_RUNS.value, config, sweep_flags.METHOD.value, name)
           for name in _LOOP_LAYERS.value}
  floor = gemms_alone(data, _RUNS.value, config, sweep_flags.METHOD.value)
  engine_times, loop_times, matmuls, floor_times = [], {name: [] for name in loops}, [], []
  for _ in range(_REPEATS.value):
    matmuls.append(peak.matmul_gflops())
    floor_times.append(floor['time']())
    engine_times.append(engine())
    for name, (_, loop) in loops.items():
      loop_times[name].append(loop())
  best = max(matmuls)
  floor_gflops = floor['flops'] / min(floor_times) / 1e9
  gemms = {'runs': _RUNS.value, 'step_s': min(floor_times), 'gflops': floor_gflops,
           'peak_fraction': floor_gflops / best}
  engine = _rate('engine', _RUNS.value, engine_compile_s, engine_times, flops, best)
  rates = {name: _rate(f'jit_loop_{name}', _LOOP_RUNS.value, loops[name][0], loop_times[name], flops,
                       best) for name in loops}
  ratios = {name: engine['models_per_minute'] / r['models_per_minute'] for name, r in rates.items()}
  report = {'engine': engine, 'jit_loop': rates, 'ratio': ratios, 'matmul_gflops': matmuls,
            'gemms_alone': gemms,
            'steps': config.steps,
            'batch_size': config.batch_size, 'devices': jax.device_count(),
            'device_kind': jax.devices()[0].device_kind, 'jax': jax.__version__}
  workdir = pathlib.Path(_WORKDIR.value)
  workdir.mkdir(parents=True, exist_ok=True)
  (workdir / 'sweep_speed.json').write_text(json.dumps(report, indent=2) + '\n')
  print(render.write('sweep_speed', workdir))
