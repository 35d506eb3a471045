"""A work directory's identity: grid axes are not part of it, input files are; --overwrite moves
everything derived aside; its files are created with the umask's modes."""

import json
import os

import pytest

from lib.engine import identity, results
from lib.engine.results import Workdir, WorkdirError

TRAIN = {'steps': 2, 'learning_rate': 0.1}


def _fill(workdir, config, count=1):
  with Workdir(workdir, config) as work:
    for run in range(count):
      work.append({'run': run})


@pytest.mark.parametrize('stored, new, changed', [
    ({'sizes': [50], 'seeds': [0], 'archs': ['fc']}, {'sizes': [50, 100], 'seeds': [0, 1],
                                                      'archs': ['fc', 'cnn']}, []),
    ({'train': {'fc': TRAIN}}, {'train': {'fc': TRAIN, 'cnn': dict(TRAIN, steps=9)}}, []),
    ({'train': {'fc': TRAIN}}, {'train': {'fc': dict(TRAIN, steps=3)}}, ['train']),
    ({'train': TRAIN}, {'train': dict(TRAIN, steps=3)}, ['train']),
    ({'dataset': 'a', 'sizes': [1]}, {'dataset': 'b', 'sizes': [2]}, ['dataset']),
    ({'inputs': {'npz:d': {'sha256': 'x'}}}, {'inputs': {'npz:d': {'sha256': 'y'}}}, ['inputs']),
])
def test_grid_axes_do_not_count(stored, new, changed):
  assert identity.differing(stored, new) == changed


def test_a_grown_grid_resumes_and_stores_the_new_config(tmp_path):
  """Issue 20: `--sizes=50` then `--sizes=50,100` on one work directory was refused."""
  _fill(tmp_path, {'sizes': [50], 'train': {'fc': TRAIN}})
  grown = {'sizes': [50, 100], 'train': {'fc': TRAIN, 'cnn': TRAIN}}
  with Workdir(tmp_path, grown) as work:
    assert work.records() == [{'run': 0}]
  assert json.loads((tmp_path / results.CONFIG_FILE).read_text()) == grown


def test_a_changed_input_file_is_refused_naming_it(tmp_path):
  """Issue 20, case 3: the same npz path with other content resumed as '1 already recorded'."""
  _fill(tmp_path, {'dataset': 'npz:d.npz', 'inputs': {'npz:d.npz': {'bytes': 10, 'sha256': 'aa'}}})
  changed = {'dataset': 'npz:d.npz', 'inputs': {'npz:d.npz': {'bytes': 10, 'sha256': 'bb'}}}
  with pytest.raises(WorkdirError, match=r"differs in \['inputs'\]\); an input file changed since "
                                         r"they were recorded \(npz:d.npz: recorded .*'aa'.*, now "
                                         r".*'bb'.*\); pass --overwrite"):
    Workdir(tmp_path, changed).__enter__()


def test_overwrite_moves_every_derived_file_aside(tmp_path):
  """Issue 20, case 2: the old summary, CSV and figure stayed beside the new sweep's first runs."""
  _fill(tmp_path, {'steps': 1}, count=2)
  derived = ('summary.md', 'summary.csv', 'figure.png', 'command.json', 'baseline.json')
  for name in derived:
    (tmp_path / name).write_text('old')
  (tmp_path / results.GRID_FILE).write_text('[]')  # the running command's grid
  with Workdir(tmp_path, {'steps': 2}, overwrite=True) as work:
    work.append({'run': 0})
  (aside,) = tmp_path.glob(f'{results.REPLACED_PREFIX}*')
  assert sorted(p.name for p in aside.iterdir()) == sorted(
      [*derived, results.CONFIG_FILE, results.RESULTS_FILE])
  assert sorted(p.name for p in tmp_path.iterdir() if p != aside) == sorted(
      [results.CONFIG_FILE, results.GRID_FILE, results.LOCK_FILE, results.RESULTS_FILE])


@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o002, 0o664)])
def test_files_are_created_with_the_umask_modes(tmp_path, umask, mode):
  """Issue 20: config.json and the lock-holder file were 0600 whatever the umask."""
  old = os.umask(umask)
  try:
    with Workdir(tmp_path, {'steps': 1}):
      holder = (tmp_path / results.HOLDER_FILE).stat().st_mode & 0o777
    config = (tmp_path / results.CONFIG_FILE).stat().st_mode & 0o777
  finally:
    os.umask(old)
  assert (holder, config) == (mode, mode)
