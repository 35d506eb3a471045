"""The reproduction's sequence, record, resume and Ctrl-C, with a stand-in for launch.py (a plain
Python script: no experiment runs here)."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from lib.report import reproduce
from lib.report.catalogue import Entry
from lib.report.state import REPOSITORY

FAKE_LAUNCH = '''
import pathlib, sys, time
args = dict(a.lstrip('-').split('=', 1) for a in sys.argv[1:])
workdir = pathlib.Path(args['workdir'])
workdir.mkdir(parents=True, exist_ok=True)
print('fake', args['experiment'], flush=True)
if 'fail_once' in args and not (workdir / 'failed_once').exists():
  (workdir / 'failed_once').touch()
  sys.exit(1)
held = b'x' * (int(args.get('hold_mb', 0)) * 2**20)  # resident: every page written
if 'child_mb' in args:  # a grandchild holds the memory (as scale's per-row processes do)
  import subprocess
  subprocess.run([sys.executable, '-c', f"import time; x = b'x' * ({args['child_mb']} * 2**20); "
                  "time.sleep(1.5)"], check=True)
try:
  if 'sleep' in args:
    (workdir / 'started').touch()
    time.sleep(float(args['sleep']))
except KeyboardInterrupt:
  (workdir / 'interrupted').touch()
  sys.exit(130)
(workdir / 'summary.md').write_text('done')
sys.exit(int(args.get('exit', 0)))
'''


def _launcher(tmp_path) -> pathlib.Path:
  path = tmp_path / 'fake_launch.py'
  path.write_text(FAKE_LAUNCH)
  return path


def test_records_every_entry_goes_on_after_a_failure_and_resumes(tmp_path, capsys):
  root, launcher = tmp_path / 'root', _launcher(tmp_path)
  entries = [Entry('first', 'alpha'), Entry('broken', 'beta', ('--exit=3',)),
             Entry('flaky', 'gamma', ('--fail_once=1',))]
  state = reproduce.reproduce(entries, root, launcher=launcher)
  runs = state['entries']
  assert {k: (r['status'], r['returncode']) for k, r in runs.items()} == {
      'first': ('done', 0), 'broken': ('failed', 3), 'flaky': ('failed', 1)}
  assert json.loads((root / 'reproduce.json').read_text()) == state
  assert runs['broken']['command'] == (
      f'python launch.py --experiment=beta --workdir={root / "broken"} --exit=3')
  assert all(r['wall_s'] > 0 and r['attempts'] == 1 for r in runs.values())
  assert (root / 'logs' / 'first.log').read_text() == 'fake alpha\n'
  out = capsys.readouterr().out
  assert '[reproduce 1/3] first:' in out and 'ETA ?' in out  # nothing measured yet
  assert '[reproduce 2/3] broken:' in out and 'ETA ?' not in out.split('broken:')[1].split('\n')[0]
  assert 'broken: failed' in out and 'exit status 3' in out

  again = reproduce.reproduce(entries, root, launcher=launcher)['entries']
  assert again['first'] == runs['first']  # done: skipped
  assert again['flaky']['status'] == 'done' and again['flaky']['attempts'] == 2
  assert again['flaky']['wall_s'] > runs['flaky']['wall_s']  # over both attempts
  assert again['broken']['status'] == 'failed' and again['broken']['attempts'] == 2
  assert 'first: done' in capsys.readouterr().out


def test_records_the_peak_memory_of_each_entry(tmp_path):
  # Each holds its memory for a second: the tree is sampled every reproduce.POLL_S seconds.
  entries = [Entry('small', 'alpha'), Entry('large', 'beta', ('--hold_mb=300', '--sleep=1')),
             Entry('grandchild', 'gamma', ('--child_mb=300',))]
  runs = reproduce.reproduce(entries, tmp_path / 'root', launcher=_launcher(tmp_path))['entries']
  assert 0 < runs['small']['peak_rss_gb'] < 0.2  # not the test process's own memory
  for key in ('large', 'grandchild'):
    assert 0.3 < runs[key]['peak_rss_gb'] < runs['small']['peak_rss_gb'] + 0.4, key


def test_overrides_are_appended_and_parsed():
  assert reproduce.parse_overrides(['a:--x=1 --y="b c"', 'a:--z'], {'a'}) == {
      'a': ('--x=1', '--y=b c', '--z')}
  for bad in ('a', 'nokey:--x', 'a:  '):
    try:
      reproduce.parse_overrides([bad], {'a'})
    except ValueError as error:
      assert '--override' in str(error)
    else:
      raise AssertionError(f'{bad!r} was accepted')


DRIVER = '''
import pathlib, sys
sys.path.insert(0, sys.argv[1])
import launch
from lib.report import reproduce
from lib.report.catalogue import Entry
root, fake = pathlib.Path(sys.argv[2]), sys.argv[3]
entries = [Entry('slow', 'alpha', ('--sleep=60',)), Entry('after', 'beta')]
launch.guarded(lambda argv: reproduce.reproduce(entries, root, launcher=fake), [])
'''


def test_ctrl_c_stops_the_running_entry_keeps_the_record_and_exits_130(tmp_path):
  root, launcher = tmp_path / 'root', _launcher(tmp_path)
  driver = subprocess.Popen([sys.executable, '-c', DRIVER, str(REPOSITORY), str(root),
                             str(launcher)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
  deadline = time.monotonic() + 30
  while not (root / 'slow' / 'started').exists():
    assert time.monotonic() < deadline and driver.poll() is None, driver.communicate()
    time.sleep(0.05)
  os.kill(driver.pid, signal.SIGINT)  # to the driver alone: it passes the signal on
  _, err = driver.communicate(timeout=30)
  assert driver.returncode == 130, err
  assert 'Interrupted.' in err and 'run the same command again to resume' in err.lower()
  assert (root / 'slow' / 'interrupted').exists()
  runs = json.loads((root / 'reproduce.json').read_text())['entries']
  assert runs['slow']['status'] == 'interrupted' and 'after' not in runs
