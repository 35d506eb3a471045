"""run_sweep: validation before compiling, records, resume after a kill, the workdir guard."""

import collections
import dataclasses

import chex
import jax
import pytest

from lib.engine import results, sweep, training

TINY = training.TrainConfig(steps=4, eval_every=2, batch_size=8)
SPEC = sweep.SweepSpec(archs=('mnist1d_mlp',), sizes=(10, 30), seeds=(0, 1, 2), train=TINY)


@pytest.fixture
def no_compiling(monkeypatch):
  """Fails the test if anything is jitted."""
  def refuse(*args, **kwargs):
    raise AssertionError('compiled before validating')
  monkeypatch.setattr(jax, 'jit', refuse)


@pytest.mark.parametrize('change, message', [
    ({'archs': ('resnet',)}, "archs: arch='resnet'"),
    ({'sizes': (10, 201)}, 'sizes: n=201'),
    ({'sizes': (9,)}, 'sizes: n=9'),
    ({'seeds': (-1,)}, 'seeds: seed=-1'),
    ({'train': dataclasses.replace(TINY, steps=0)}, 'steps=0'),
    ({'train': dataclasses.replace(TINY, batch_size=-1)}, 'batch_size=-1'),
    ({'train': dataclasses.replace(TINY, learning_rate=0.0)}, 'learning_rate=0.0'),
])
def test_bad_spec_raises_before_compiling(change, message, small_data, tmp_path, no_compiling):
  spec = dataclasses.replace(SPEC, **change)
  with pytest.raises(ValueError, match=message):
    sweep.run_sweep(spec, tmp_path / 'w', data=small_data)
  assert not (tmp_path / 'w').exists()


def test_bad_chunk_size(small_data, tmp_path, no_compiling):
  with pytest.raises(ValueError, match='chunk_size=0'):
    sweep.run_sweep(SPEC, tmp_path / 'w', chunk_size=0, data=small_data)


def test_other_config_in_workdir_refused_before_compiling(small_data, tmp_path, no_compiling):
  results.prepare_workdir(tmp_path / 'w', dataclasses.replace(SPEC, seeds=(5,)).to_json(), False)
  with pytest.raises(ValueError, match='different config.*seeds.*--overwrite'):
    sweep.run_sweep(SPEC, tmp_path / 'w', data=small_data)


def test_subsets_are_nested_and_padded(small_data):
  table = sweep.subset_table(SPEC, small_data.y_train)
  for seed in SPEC.seeds:
    small, large = table[seed, 10], table[seed, 30]
    chex.assert_shape([small, large], (30,))
    assert set(small[:10]) <= set(large[:30])
    assert not small[10:].any()


def test_sweep_records_every_run_and_resumes_after_a_kill(small_data, tmp_path, monkeypatch):
  workdir = tmp_path / 'w'
  real_append, calls = results.append_record, []

  def dying_append(path, record):
    if len(calls) == 4:
      raise KeyboardInterrupt('killed')
    calls.append(record)
    real_append(path, record)

  monkeypatch.setattr(results, 'append_record', dying_append)
  with pytest.raises(KeyboardInterrupt):
    sweep.run_sweep(SPEC, workdir, chunk_size=2, data=small_data)
  assert len(results.read_records(workdir / results.RESULTS_FILE)) == 4
  monkeypatch.setattr(results, 'append_record', real_append)

  records = sweep.run_sweep(SPEC, workdir, chunk_size=2, data=small_data)
  counts = collections.Counter((r['arch'], r['n'], r['seed']) for r in records)
  assert sorted(counts) == sorted((r.arch, r.n, r.seed) for r in sweep.plan(SPEC))
  assert set(counts.values()) == {1}
  record = records[0]
  for key in ('train_accuracy', 'test_accuracy', 'train_loss', 'test_loss', 'wall_time_s', 'jax',
              'flax', 'optax', 'device_kind', 'config', 'diverged'):
    assert key in record
  assert record['curves']['step'] == [2, 4]
  assert record['config'] == SPEC.to_json()
  # A third call has nothing to train and changes nothing.
  assert sweep.run_sweep(SPEC, workdir, chunk_size=2, data=small_data) == records


def test_resumed_runs_match_uninterrupted_ones(small_data, tmp_path):
  one_chunk = sweep.run_sweep(SPEC, tmp_path / 'a', chunk_size=8, data=small_data)
  other = sweep.run_sweep(SPEC, tmp_path / 'b', chunk_size=4, data=small_data)
  by_id = {(r['n'], r['seed']): r['test_loss'] for r in other}
  for r in one_chunk:
    assert r['test_loss'] == pytest.approx(by_id[r['n'], r['seed']], abs=1e-5)


def test_permutation_moves_positions(small_data):
  plain = sweep.prepare_data(SPEC, small_data)
  permuted = sweep.prepare_data(dataclasses.replace(SPEC, permute_pixels=True), small_data)
  assert not (plain['x_train'] == permuted['x_train']).all()
  chex.assert_trees_all_close(plain['x_test'].sum(1), permuted['x_test'].sum(1), atol=1e-4)


def test_divergence_is_recorded(small_data, tmp_path):
  spec = dataclasses.replace(SPEC, sizes=(10,), seeds=(0,),
                             train=dataclasses.replace(TINY, optimizer='sgd', learning_rate=1e30))
  (record,) = sweep.run_sweep(spec, tmp_path / 'w', data=small_data)
  assert record['diverged']
  assert record['test_loss'] is None
