"""Smoke test: the sample_efficiency experiment end to end on a tiny grid, through its main."""

import json
import pathlib

import jax
import pytest
from absl import flags
from absl.testing import flagsaver

from experiments import sample_efficiency, sweep_flags
from lib.engine import protocols

FLAGS = flags.FLAGS


@pytest.fixture(autouse=True)
def parsed_flags():
  """Parsed flags, with JAX's own device count (the test process shares one JAX backend)."""
  if not FLAGS.is_parsed():
    FLAGS.mark_as_parsed()
  with flagsaver.flagsaver(cpu_devices=0):
    yield


def test_tiny_grid_writes_every_file(tmp_path):
  workdir = tmp_path / 'se'
  with flagsaver.flagsaver(workdir=str(workdir), sizes=['20', '40'], num_seeds=2, steps=4,
                           eval_every=2, batch_size=8):
    sample_efficiency.main([])
  for name in ('config.json', 'results.jsonl', 'summary.csv', 'summary.md',
               'sample_efficiency.png'):
    assert (workdir / name).stat().st_size > 0, name
  table = (workdir / 'summary.md').read_text()
  for arch in ('fc', 'lcn', 'cnn'):
    assert f'| {arch} | 20 | 2 ' in table
  assert len((workdir / 'results.jsonl').read_text().splitlines()) == 3 * 2 * 2


@pytest.mark.parametrize('overrides, message', [
    ({'archs': ['fc', 'rnn']}, "archs: arch='rnn'"),
    ({'sizes': ['5000']}, 'sizes: n=5000'),
    ({'sizes': ['big']}, 'sizes=big'),
    ({'num_seeds': 0}, 'num_seeds'),
    ({'steps': 0}, 'steps'),
    ({'learning_rate': -1.0}, 'learning_rate'),
    ({'learning_rate': float('inf')}, 'learning_rate'),
])
def test_bad_flags_raise_value_error(tmp_path, overrides, message):
  with pytest.raises((ValueError, flags.IllegalFlagValueError), match=message):
    with flagsaver.flagsaver(workdir=str(tmp_path / 'w'), **overrides):
      sample_efficiency.main([])
  assert not pathlib.Path(tmp_path / 'w').exists()


def test_existing_workdir_of_other_config_refused(tmp_path):
  workdir = str(tmp_path / 'w')
  with flagsaver.flagsaver(workdir=workdir, archs=['fc'], sizes=['20'], num_seeds=1, steps=2,
                           eval_every=2, batch_size=8):
    sample_efficiency.main([])
  with flagsaver.flagsaver(workdir=workdir, archs=['fc'], sizes=['20'], num_seeds=1, steps=4,
                           eval_every=2, batch_size=8):
    with pytest.raises(ValueError, match='different config.*--overwrite'):
      sample_efficiency.main([])
    with flagsaver.flagsaver(overwrite=True):
      sample_efficiency.main([])


def test_grid_sizes_above_the_training_set_become_its_size():
  with flagsaver.flagsaver(dataset='digits'):
    archs, sizes, seeds = sample_efficiency.grid_from_flags(num_train=1347)
  assert sizes == (100, 1000, 1347) and seeds == (0, 1)
  assert archs == ('fc', 'lcn', 'cnn', 'cnn_gap')
  with flagsaver.flagsaver(dataset='digits', grid='full'):
    _, sizes, seeds = sample_efficiency.grid_from_flags(num_train=1347)
  assert sizes == (50, 100, 200, 500, 1000, 1347) and len(seeds) == 5
  with flagsaver.flagsaver(dataset='mnist1d'):
    archs, sizes, seeds = sample_efficiency.grid_from_flags(num_train=4000)
  assert sizes == (50, 100, 200, 500, 1000, 4000) and seeds == (0, 1, 2)
  assert archs == ('fc', 'lcn', 'cnn')


def test_image_dataset_runs_the_image_models(tmp_path):
  workdir = tmp_path / 'digits'
  with flagsaver.flagsaver(workdir=str(workdir), dataset='digits', archs=['fc', 'cnn_gap'],
                           sizes=['20'], num_seeds=1, steps=2, eval_every=2, batch_size=8):
    sample_efficiency.main([])
  table = (workdir / 'summary.md').read_text()
  assert '| cnn_gap | 20 | 1 ' in table and '| fc | 20 | 1 ' in table
  records = [json.loads(line) for line in (workdir / 'results.jsonl').read_text().splitlines()]
  assert {r['protocol']['steps'] for r in records} == {2}  # a given --steps holds for cnn_gap too


def test_cnn_gap_trains_longer_on_images_unless_steps_are_given():
  with flagsaver.flagsaver(dataset='digits'):
    assert sweep_flags.train_config('cnn_gap').steps == protocols.IMAGE_STEPS['cnn_gap']
    assert protocols.IMAGE_STEPS['cnn_gap'] > protocols.IMAGE_TRAIN.steps
    assert sweep_flags.train_config('cnn').steps == FLAGS.steps
  with flagsaver.flagsaver(dataset='digits', steps=7, eval_every=7):
    assert sweep_flags.train_config('cnn_gap').steps == 7


def test_image_protocol_decays_its_rate_and_widens_its_fc():
  assert protocols.train_defaults('digits').schedule == 'cosine'
  assert protocols.train_defaults('mnist1d').schedule == 'constant'  # the paper's protocol
  kernels = lambda dataset: [leaf.shape for leaf in jax.tree.leaves(protocols.model(
      'fc', dataset, 10).init(jax.random.PRNGKey(0), (1, 64, 1))[1]) if leaf.ndim == 2]
  width = 512  # the image fc's one default width (models.image_fc)
  assert kernels('digits') == [(64, width), (width, width), (width, 10)]
  assert kernels('mnist1d')[0] == (64, 100)  # the paper's MLP
