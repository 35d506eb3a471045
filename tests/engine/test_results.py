"""The work directory: its lock (two real processes, and one killed), strict reading, standard JSON."""

import json
import math
import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.engine import results
from lib.engine.results import Workdir, WorkdirError

REPO = pathlib.Path(__file__).resolve().parents[2]
CONFIG = {'sweep': 'toy', 'steps': 2}

# A sweep of two runs on the work directory argv[1] that, once both are recorded, holds the lock until a
# line arrives on stdin (or stdin closes).
SWEEP = """
import sys
from lib.engine.results import Workdir
with Workdir(sys.argv[1], {'sweep': 'toy', 'steps': 2}) as workdir:
  done = {r['run'] for r in workdir.records()}
  for run in range(2):
    if run not in done:
      workdir.append({'run': run})
  print('holding', flush=True)
  sys.stdin.readline()
"""


def _start_sweep(workdir: pathlib.Path) -> subprocess.Popen:
  """Starts SWEEP in a new process and returns once it holds the lock."""
  process = subprocess.Popen([sys.executable, '-c', SWEEP, str(workdir)], cwd=REPO, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
  line = process.stdout.readline()
  assert line == 'holding\n', (line, process.stderr.read() if process.poll() is not None else '')
  return process


def _run_sweep(workdir: pathlib.Path) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, '-c', SWEEP, str(workdir)], cwd=REPO, text=True,
                        stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)


def _lines(workdir: pathlib.Path) -> list[str]:
  return (workdir / results.RESULTS_FILE).read_text().splitlines()


def _fill(workdir: pathlib.Path, count: int, config: dict = CONFIG) -> None:
  with Workdir(workdir, config) as w:
    for run in range(count):
      w.append({'run': run, 'accuracy': 0.5})


# --- the lock -----------------------------------------------------------------------------------------


def test_second_process_on_a_busy_workdir_refuses_at_once_naming_the_holder(tmp_path):
  """Issue 7, case 2: `SE --workdir=W & sleep 1; SE --workdir=W` trained and recorded everything twice."""
  first = _start_sweep(tmp_path)
  try:
    second = _run_sweep(tmp_path)
    assert second.returncode != 0
    assert 'WorkdirError' in second.stderr
    assert f'--workdir={tmp_path} is in use by pid {first.pid} on host' in second.stderr
    assert 'choose another --workdir' in second.stderr
  finally:
    first.communicate('\n', timeout=60)
  assert first.returncode == 0
  assert _run_sweep(tmp_path).returncode == 0  # free again: resumes, trains nothing
  assert [json.loads(line)['run'] for line in _lines(tmp_path)] == [0, 1]


def test_lock_of_a_killed_process_does_not_block(tmp_path):
  holder = _start_sweep(tmp_path)
  holder.send_signal(signal.SIGKILL)
  holder.communicate(timeout=60)
  assert holder.returncode == -signal.SIGKILL
  assert (tmp_path / results.LOCK_FILE).exists()  # left behind, as by `kill -9`
  with Workdir(tmp_path, CONFIG) as workdir:
    assert [r['run'] for r in workdir.records()] == [0, 1]
    holder_info = json.loads((tmp_path / results.HOLDER_FILE).read_text())
    assert holder_info['pid'] == os.getpid()
  assert not (tmp_path / results.HOLDER_FILE).exists()


def test_second_writer_in_one_process_is_refused_and_the_lock_freed_on_exit(tmp_path):
  with Workdir(tmp_path, CONFIG):
    with pytest.raises(WorkdirError, match=f'in use by pid {os.getpid()} .*command: '):
      Workdir(tmp_path, CONFIG).__enter__()
    with Workdir(tmp_path, CONFIG, writer=False) as reader:  # readers take no lock
      assert reader.records() == []
  with Workdir(tmp_path, CONFIG):
    pass


# --- strict reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize('cut, kept', [
    (lambda text: text[:-1], [0, 1]),  # `truncate -s -1`: the newline is gone, the JSON complete
    (lambda text: text[:-9], [0, 1]),  # half a line
    (lambda text: text + b'{"run": 9, "acc\n', [0, 1, 2]),  # unparsable, with its newline
], ids=['newline_gone', 'half_a_line', 'unparsable'])
def test_cut_last_line_is_set_aside_and_its_run_trained_again(tmp_path, caplog, cut, kept):
  """Issue 7, case 1: a half-written last line made every later run fail, --overwrite included."""
  _fill(tmp_path, 3)
  path = tmp_path / results.RESULTS_FILE
  damaged = cut(path.read_bytes())
  path.write_bytes(damaged)
  with Workdir(tmp_path, CONFIG) as workdir:
    assert [r['run'] for r in workdir.records()] == kept
    workdir.append({'run': 3})
  assert f'moved it to {tmp_path / results.PARTIAL_FILE}' in caplog.text
  last_line = damaged[damaged.rstrip(b'\n').rfind(b'\n') + 1:]
  assert (tmp_path / results.PARTIAL_FILE).read_bytes() == last_line.rstrip(b'\n') + b'\n'
  with Workdir(tmp_path, CONFIG) as workdir:  # clean now: every line parses, nothing set aside again
    assert [r['run'] for r in workdir.records()] == kept + [3]
  assert (tmp_path / results.PARTIAL_FILE).read_bytes() == last_line.rstrip(b'\n') + b'\n'


def test_corrupt_line_before_the_last_is_refused_with_its_number(tmp_path):
  _fill(tmp_path, 3)
  path = tmp_path / results.RESULTS_FILE
  lines = path.read_text().splitlines(keepends=True)
  path.write_text(lines[0] + '{"run": 1,\n' + lines[2])
  with pytest.raises(WorkdirError, match=rf'--workdir=.*{results.RESULTS_FILE}, line 2 is not a JSON '
                                         rf'record.*delete line 2'):
    Workdir(tmp_path, CONFIG).__enter__()
  path.write_text(lines[0] + lines[2])  # repaired as the message says
  with Workdir(tmp_path, CONFIG) as workdir:  # and the failed entry released its lock
    assert [r['run'] for r in workdir.records()] == [0, 2]


def test_other_config_with_overwrite_ignores_a_corrupt_old_file(tmp_path):
  _fill(tmp_path, 2)
  (tmp_path / results.RESULTS_FILE).write_text('garbage\n{"run": 1}\n')
  with Workdir(tmp_path, {'sweep': 'other'}, overwrite=True) as workdir:
    assert workdir.records() == []
    workdir.append({'run': 0})
  assert _lines(tmp_path) == ['{"run": 0}']


def test_reader_skips_a_cut_last_line_without_touching_it(tmp_path):
  _fill(tmp_path, 2)
  path = tmp_path / results.RESULTS_FILE
  path.write_bytes(path.read_bytes()[:-1])
  before = sorted(os.listdir(tmp_path))
  with Workdir(tmp_path, CONFIG, writer=False) as reader:
    assert [r['run'] for r in reader.records()] == [0]
    with pytest.raises(RuntimeError, match='writer=False'):
      reader.append({'run': 1})
  assert sorted(os.listdir(tmp_path)) == before
  assert not Workdir(tmp_path / 'missing', CONFIG, writer=False).__enter__().path.exists()


# --- standard JSON ---------------------------------------------------------------------------------------


def test_non_finite_values_are_written_as_null(tmp_path):
  """Issue 7, case 5: a diverged run was written with the non-standard JSON token NaN."""
  record = {'loss': float('nan'), 'accuracy': np.float32(np.inf), 'curve': np.array([0.5, np.nan]),
            'nested': {'values': [1, -math.inf, (np.float64(2.5),)]}, 'ok': np.bool_(True)}
  with Workdir(tmp_path, CONFIG) as workdir:
    workdir.append(record)
    assert workdir.records() == [{'loss': None, 'accuracy': None, 'curve': [0.5, None],
                                  'nested': {'values': [1, None, [2.5]]}, 'ok': True}]
  text = (tmp_path / results.RESULTS_FILE).read_text()
  json.loads(text, parse_constant=lambda token: pytest.fail(f'non-standard JSON token {token}'))


def test_legacy_nan_tokens_read_as_none(tmp_path):
  _fill(tmp_path, 0)
  (tmp_path / results.RESULTS_FILE).write_text('{"loss": NaN, "x": -Infinity}\n')
  with Workdir(tmp_path, CONFIG) as workdir:
    assert workdir.records() == [{'loss': None, 'x': None}]


FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32)
TREES = st.recursive(FLOATS | st.integers(-5, 5) | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3),
                                                                                  inner, max_size=3),
                     max_leaves=8)


def _finite_or_none(tree):
  if isinstance(tree, dict):
    return {k: _finite_or_none(v) for k, v in tree.items()}
  if isinstance(tree, list):
    return [_finite_or_none(v) for v in tree]
  return None if isinstance(tree, float) and not math.isfinite(tree) else tree


@settings(deadline=None, max_examples=50)
@given(tree=TREES)
def test_any_tree_becomes_standard_json_with_non_finite_floats_as_none(tree):
  line = json.dumps(results.standard_json({'value': tree}), allow_nan=False)
  assert json.loads(line) == {'value': _finite_or_none(tree)}


# --- checked on entering, before anything trains ---------------------------------------------------------


@pytest.mark.parametrize('path', ['', '  '])
def test_empty_workdir_is_refused(tmp_path, monkeypatch, path):
  """Issue 7, case 8: `--workdir=` wrote results into the current directory."""
  monkeypatch.chdir(tmp_path)
  with pytest.raises(WorkdirError, match='--workdir is empty.*--workdir=DIR'):
    Workdir(path, CONFIG)
  assert not list(tmp_path.iterdir())


@pytest.fixture
def unwritable_dir(tmp_path):
  """An existing directory this process cannot write into (root ignores permission bits: /sys)."""
  if os.geteuid() != 0:
    tmp_path.chmod(0o555)
    yield tmp_path
    tmp_path.chmod(0o755)
  else:
    if os.access('/sys', os.W_OK) and not pathlib.Path('/sys').is_mount():
      pytest.skip('no directory that root cannot write to')
    yield pathlib.Path('/sys')


def test_unwritable_workdir_is_refused_on_entering(unwritable_dir):
  """Issue 7, case 8: a read-only work directory was found only after training, at the first append."""
  with pytest.raises(WorkdirError, match=f'--workdir={unwritable_dir} is not writable.*choose another '
                                         '--workdir'):
    Workdir(unwritable_dir, CONFIG).__enter__()


def test_workdir_that_is_a_file_is_refused(tmp_path):
  (tmp_path / 'file').write_text('')
  with pytest.raises(WorkdirError, match='cannot be created as a directory'):
    Workdir(tmp_path / 'file' / 'w', CONFIG).__enter__()


def test_overwrite_moves_the_old_sweep_aside_only_at_the_first_append(tmp_path):
  """Issue 7, case 8: --overwrite deleted the old results before the new sweep had trained anything."""
  _fill(tmp_path, 2)
  old_results, old_config = _lines(tmp_path), (tmp_path / results.CONFIG_FILE).read_text()
  with Workdir(tmp_path, {'sweep': 'new'}, overwrite=True) as workdir:
    assert workdir.records() == []
  assert _lines(tmp_path) == old_results  # stopped before recording a run: nothing lost
  assert (tmp_path / results.CONFIG_FILE).read_text() == old_config
  with Workdir(tmp_path, {'sweep': 'new'}, overwrite=True) as workdir:
    assert _lines(tmp_path) == old_results
    workdir.append({'run': 0})
    assert workdir.records() == [{'run': 0}]
  (aside,) = tmp_path.glob(f'{results.REPLACED_PREFIX}*')
  assert (aside / results.RESULTS_FILE).read_text().splitlines() == old_results
  assert (aside / results.CONFIG_FILE).read_text() == old_config
  assert json.loads((tmp_path / results.CONFIG_FILE).read_text()) == {'sweep': 'new'}
  with Workdir(tmp_path, {'sweep': 'new'}) as workdir:
    assert workdir.records() == [{'run': 0}]


def test_other_config_is_refused_naming_what_differs(tmp_path):
  _fill(tmp_path, 1, {'a': 1, 'b': 2})
  with pytest.raises(WorkdirError, match=rf"--workdir={tmp_path} holds results of a different config "
                                         rf"\(differs in \['b'\]\); pass --overwrite.*choose another "
                                         rf"--workdir"):
    Workdir(tmp_path, {'a': 1, 'b': 3}).__enter__()
  with pytest.raises(WorkdirError, match='different config'):
    Workdir(tmp_path, {'a': 1, 'b': 3}, writer=False).__enter__()


def test_results_without_a_config_are_refused(tmp_path):
  (tmp_path / results.RESULTS_FILE).write_text('{"run": 0}\n')
  with pytest.raises(WorkdirError, match='no config.json.*--overwrite'):
    Workdir(tmp_path, CONFIG).__enter__()


def test_records_and_append_need_an_open_workdir(tmp_path):
  workdir = Workdir(tmp_path, CONFIG)
  with pytest.raises(RuntimeError, match='with'):
    workdir.records()
  with workdir:
    workdir.append({'run': 0})
  with pytest.raises(RuntimeError, match='with'):
    workdir.append({'run': 1})
