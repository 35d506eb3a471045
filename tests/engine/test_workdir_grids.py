"""The engine with a work directory's grid: a grown grid trains only its new runs, a shrunk one reads a
subset, a grid left incomplete says so in its summary, and a changed input file is refused."""

import json

import numpy as np
import pytest

from lib.core import models
from lib.data import load_dataset
from lib.engine import experiment, grid_file, grids, results, training
from lib.report import render

TINY = training.TrainConfig(steps=4, eval_every=2, batch_size=8)


def _group(data, sizes, seeds=(0,)):
  return experiment.Group(name='fc', model=models.by_name('mnist1d_mlp'), train=TINY,
                          data=grids.arrays(data),
                          runs=tuple({'arch': 'fc', 'n': n, 'seed': s} for n in sizes for s in seeds))


def _config(sizes):
  return {'experiment': 'sample_efficiency', 'dataset': 'mnist1d', 'sizes': list(sizes),
          'train': {'fc': vars(TINY)}}


def test_a_grown_grid_trains_only_its_new_runs_and_a_shrunk_one_reads_a_subset(small_data, tmp_path):
  (first,) = experiment.run([_group(small_data, (10,))], tmp_path, _config((10,)))
  grown = experiment.run([_group(small_data, (10, 30))], tmp_path, _config((10, 30)))
  assert grown[0] == first  # recorded once, not trained again
  assert [r['n'] for r in grown] == [10, 30]
  assert grid_file.read(tmp_path) == [{'arch': 'fc', 'n': 10, 'seed': 0},
                                      {'arch': 'fc', 'n': 30, 'seed': 0}]
  assert experiment.run([_group(small_data, (30,))], tmp_path, _config((30,))) == grown[1:]
  assert grid_file.read(tmp_path) == [{'arch': 'fc', 'n': 30, 'seed': 0}]


def test_a_grid_left_incomplete_says_so_in_its_summary(small_data, tmp_path, monkeypatch):
  """Issue 20: results.jsonl deleted mid-run ended in a summary of 8 of 12 runs, without a word."""
  real_append = results.Workdir.append

  def append_then_lose_the_file(self, record):
    real_append(self, record)
    if record['seed'] == 0:
      (self.path / results.RESULTS_FILE).unlink()

  monkeypatch.setattr(results.Workdir, 'append', append_then_lose_the_file)
  records = experiment.run([_group(small_data, (10,), seeds=(0, 1, 2))], tmp_path, _config((10,)),
                           experiment.Options(chunk_size=1))
  assert [r['seed'] for r in records] == [1, 2]
  text = render.write('sample_efficiency', tmp_path, records)
  assert text.rstrip().endswith('**Incomplete grid: 2 of 3 runs recorded; missing: arch=fc, n=10, '
                                'seed=0.**')
  assert (tmp_path / 'summary.md').read_text() == text


def test_the_same_npz_path_with_other_content_is_refused(tiny_images, tmp_path):
  """Issue 20, case 3: shuffled labels in the same file resumed as '1 already recorded'."""
  path = tmp_path / 'data.npz'
  arrays = {'x_train': tiny_images.x_train, 'y_train': tiny_images.y_train,
            'x_test': tiny_images.x_test, 'y_test': tiny_images.y_test}
  spec = f'npz:{path}'

  def run():
    data = load_dataset(spec)
    group = experiment.Group(name='fc', model=models.by_name('fc', data.num_classes), train=TINY,
                             data=grids.arrays(data), runs=({'arch': 'fc', 'n': 20, 'seed': 0},))
    return experiment.run([group], tmp_path / 'w', {'dataset': spec})

  np.savez(path, **arrays)
  (record,) = run()
  assert record['config']['inputs'][spec]['bytes'] == path.stat().st_size
  assert run() == [record]  # the same file resumes
  np.savez(path, **dict(arrays, y_train=np.random.default_rng(0).permutation(arrays['y_train'])))
  with pytest.raises(results.WorkdirError, match=rf"an input file changed.*{spec}: recorded"):
    run()
  stored = json.loads((tmp_path / 'w' / results.CONFIG_FILE).read_text())
  assert stored['inputs'] == record['config']['inputs']
