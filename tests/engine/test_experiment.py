"""The engine: validation before compiling, records, resume, evaluation hooks, memory-sized chunks."""

import collections
import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib.analysis import shift_eval
from lib.core import counting, models
from lib.data import shift_grid
from lib.engine import experiment, grids, provenance, results, training
from lib.report import section

TINY = training.TrainConfig(steps=4, eval_every=2, batch_size=8)


def _group(data, name='fc', arch='mnist1d_mlp', sizes=(10, 30), seeds=(0, 1, 2), train=TINY,
           **kwargs):
  return experiment.Group(name=name, model=models.by_name(arch), train=train,
                          data=grids.arrays(data),
                          runs=tuple({'arch': name, 'n': n, 'seed': s} for n in sizes
                                     for s in seeds), **kwargs)


@pytest.fixture
def no_compiling(monkeypatch):
  """Fails the test if anything is jitted."""
  def refuse(*args, **kwargs):
    raise AssertionError('compiled before validating')
  monkeypatch.setattr(jax, 'jit', refuse)


@pytest.mark.parametrize('change, message', [
    ({'sizes': (10, 201)}, 'sizes: n=201'),
    ({'seeds': (-1,)}, 'seeds: seed=-1'),
    ({'train': dataclasses.replace(TINY, steps=0)}, 'steps=0'),
    ({'train': dataclasses.replace(TINY, learning_rate=float('inf'))}, 'learning_rate=inf'),
    ({'train': dataclasses.replace(TINY, weight_decay=float('nan'))}, 'weight_decay=nan'),
])
def test_bad_group_raises_before_compiling(change, message, small_data, tmp_path, no_compiling):
  with pytest.raises(ValueError, match=message):
    experiment.run([_group(small_data, **change)], tmp_path / 'w', {})
  assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize('field, value', [('chunk_size', 0), ('memory_budget_gb', float('nan')),
                                          ('eval_batch_size', -1)])
def test_bad_options_raise_before_compiling(field, value, small_data, tmp_path, no_compiling):
  with pytest.raises(ValueError, match=f'{field}='):
    experiment.run([_group(small_data)], tmp_path / 'w', {},
                   experiment.Options(**{field: value}))


def test_subsets_are_nested_and_padded(small_data):
  group = _group(small_data)
  table = experiment.subsets(group, [{'n': 10, 'seed': 1}, {'n': 30, 'seed': 1}])
  chex.assert_shape(table, (2, 30))
  assert set(table[0, :10]) <= set(table[1])
  assert not table[0, 10:].any()


def test_records_every_run_and_resumes_after_a_kill(small_data, tmp_path, monkeypatch):
  workdir, group = tmp_path / 'w', _group(small_data)
  real_append, calls = results.Workdir.append, []

  def dying_append(self, record):
    if len(calls) == 4:
      raise KeyboardInterrupt('killed')
    calls.append(record)
    real_append(self, record)

  monkeypatch.setattr(results.Workdir, 'append', dying_append)
  with pytest.raises(KeyboardInterrupt):
    experiment.run([group], workdir, {'a': 1}, experiment.Options(chunk_size=2))
  monkeypatch.setattr(results.Workdir, 'append', real_append)
  records = experiment.run([group], workdir, {'a': 1}, experiment.Options(chunk_size=2))
  counts = collections.Counter((r['n'], r['seed']) for r in records)
  assert sorted(counts) == sorted((r['n'], r['seed']) for r in group.runs)
  assert set(counts.values()) == {1}
  record = records[0]
  for key in ('train_accuracy', 'test_accuracy', 'train_loss', 'test_loss', 'wall_time_s',
              'config', 'diverged', 'converged', 'provenance', 'protocol'):
    assert key in record, key
  assert record['curves']['step'] == [2, 4]
  assert record['config'] == {'a': 1}
  prov = record['provenance']
  for key in ('git_commit', 'git_dirty', 'time', 'command', 'device_kind', 'num_devices'):
    assert key in prov, key
  assert prov['host_cpu'] == provenance.host_cpu() and prov['host_cpu']
  assert set(prov['versions']) == {'jax', 'jaxlib', 'flax', 'optax', 'numpy', 'mnist1d',
                                   'scikit-learn', 'tensorflow-datasets'}
  assert prov['versions']['jax'] == jax.__version__
  assert prov['contraction'] == counting.contraction_methods(group.model,
                                                            group.data['x_train'].shape[1:])
  assert all(m.split(': ')[1] in ('dense', 'slices', 'gather', 'chunks') for m in prov['contraction'])
  assert experiment.run([group], workdir, {'a': 1}) == records  # nothing left to train


def test_costliest_group_trains_first_and_records_come_back_in_grid_order(small_data, tmp_path):
  cheap = _group(small_data, sizes=(10,), seeds=(0,))
  costly = _group(small_data, name='cnn', arch='mnist1d_cnn', sizes=(10,), seeds=(0, 1))
  assert experiment.cost_per_run(costly) > experiment.cost_per_run(cheap)
  records = experiment.run([cheap, costly], tmp_path / 'w', {})
  grid = [(r['arch'], r['seed']) for g in (cheap, costly) for r in g.runs]
  assert [(r['arch'], r['seed']) for r in records] == grid
  assert [r['grid_index'] for r in records] == [0, 1, 2]
  with results.Workdir(tmp_path / 'w', {}, writer=False) as work:
    trained = work.records()
  assert [r['arch'] for r in trained] == ['cnn', 'cnn', 'fc']
  assert results.in_grid_order(trained) == records
  assert section.read_records(tmp_path / 'w') == records


def test_chunking_does_not_change_results(small_data, tmp_path):
  group = _group(small_data)
  wide = experiment.run([group], tmp_path / 'a', {}, experiment.Options(chunk_size=8))
  narrow = experiment.run([group], tmp_path / 'b', {}, experiment.Options(chunk_size=2))
  by_id = {(r['n'], r['seed']): r['test_loss'] for r in narrow}
  for r in wide:
    assert r['test_loss'] == pytest.approx(by_id[r['n'], r['seed']], abs=1e-5)


def test_divergence_is_recorded_and_summarised(small_data, tmp_path):
  train = dataclasses.replace(TINY, optimizer='sgd', learning_rate=1e30)
  (record,) = experiment.run([_group(small_data, sizes=(10,), seeds=(0,), train=train)],
                             tmp_path / 'w', {})
  assert record['diverged'] and record['test_loss'] is None and record['converged'] is None


def test_batched_evaluation_equals_unbatched():
  x = jnp.arange(7 * 3, dtype=jnp.float32).reshape(7, 3)
  fn = lambda b: (b ** 2).sum(-1)
  for size in (1, 2, 3, 7, 50):
    chex.assert_trees_all_close(training.map_batches(fn, x, size), fn(x))


def test_metrics_equal_whatever_the_eval_batch(small_data):
  group = _group(small_data, sizes=(30,), seeds=(4,))
  subset = experiment.subsets(group, list(group.runs))[0]
  outs = []
  for size in (7, 1000):
    train = training.make_train(group.model, TINY, eval_batch_size=size)
    outs.append(jax.jit(train)(np.int32(4), np.int32(30), subset, group.data))
  chex.assert_trees_all_close(outs[0], outs[1], atol=1e-5)


def test_memory_budget_narrows_chunks_for_bigger_models(small_data):
  mesh = experiment.sharding.run_mesh()

  def width(hidden, budget_gb):
    group = experiment.Group(
        name='fc', model=models.mnist1d_mlp(hidden=hidden), train=TINY,
        data=grids.arrays(small_data),
        runs=tuple({'arch': 'fc', 'n': 10, 'seed': s} for s in range(8)))
    options = experiment.Options(chunk_size=8, memory_budget_gb=budget_gb)
    return experiment.Program(group, options, mesh, experiment.place(group, mesh)).width

  assert width(16, 1.0) == 8
  assert width(2048, 0.05) < 8


def test_evaluation_lands_in_records_and_survives_resume(small_data, tmp_path):
  def evaluate(params, data):
    del data
    return {'weight_norm': sum(jnp.sum(p ** 2) for p in jax.tree.leaves(params)),
            'first_row': jax.tree.leaves(params)[0].ravel()[:3]}

  group = _group(small_data, sizes=(10,), seeds=(0, 1), evaluate=evaluate)
  first = experiment.run([group], tmp_path / 'w', {})
  assert all(r['weight_norm'] > 0 and len(r['first_row']) == 3 for r in first)
  assert experiment.run([group], tmp_path / 'w', {}) == first


def test_engine_shift_run_equals_plain_training(tiny_images, tmp_path):
  """A vmapped, sharded engine run with augmentation and evaluation equals one plain jitted run."""
  shifts = shift_grid(1, 2)
  model = models.by_name('cnn_gap', tiny_images.num_classes)
  augment = shift_eval.random_shifts(shifts[:4], circular=False)
  evaluate = shift_eval.shift_evaluation(model.apply, shifts, False, tiny_images.num_classes, 16)
  group = experiment.Group(name='cnn_gap', model=model, train=TINY, data=grids.arrays(tiny_images),
                           runs=tuple({'arch': 'cnn_gap', 'n': 20, 'seed': s} for s in (0, 1, 2)),
                           augment=augment, evaluate=evaluate)
  records = experiment.run([group], tmp_path / 'w', {})
  train = training.make_train(model, TINY, training.identity_tag('cnn_gap'), augment=augment,
                              evaluate=evaluate, eval_batch_size=16)
  for record in records:
    run = {'n': record['n'], 'seed': record['seed']}
    plain = jax.jit(train)(np.int32(run['seed']), np.int32(20),
                           experiment.subsets(group, [run])[0], group.data)
    np.testing.assert_allclose(record['accuracy_per_shift'], plain['accuracy_per_shift'],
                               atol=1e-5)
    np.testing.assert_allclose(record['curves']['test_loss'], plain['test_loss'], atol=1e-5)
