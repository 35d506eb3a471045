"""The flag catalogue (issue 7): every flag of every experiment that launch.py lists, its own and the
shared ones of experiments/sweep_flags.py and experiments/device_flags.py, given a bad value, ends in
one line on stderr that names the flag, a non-zero exit status, nothing compiled and nothing written.

One driver process (flag_catalogue_driver.py) runs every check; an experiment added to experiments/ is
picked up from `launch.available()` without a change here.
"""

import json
import os
import re
import subprocess
import sys

import pytest

import launch
from launch_helper import ROOT

DRIVER = ROOT / 'tests' / 'experiments' / 'flag_catalogue_driver.py'
FINE_WITHOUT_A_BAD_VALUE = ('compiled', 'computed', 'accepted', 'subprocess')
# Experiments whose default reads an input that an empty directory lacks: their control is refused
# with one line naming that flag (the report's default --root does not exist there).
NEEDS_INPUT = {'report': 'root'}


@pytest.fixture(scope='module')
def catalogue(tmp_path_factory) -> list[dict]:
  report = tmp_path_factory.mktemp('catalogue') / 'report.json'
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  done = subprocess.run([sys.executable, str(DRIVER), str(report)], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=900, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  return json.loads(report.read_text())


def names(message: str, flag: str) -> bool:
  """Whether `message` names `flag` as a word (`--flag`, `flag=`, `flag:` ...)."""
  return re.search(rf'(?<![\w-]){re.escape(flag)}(?!\w)|--{re.escape(flag)}(?!\w)', message) is not None


def problems(check: dict) -> list[str]:
  """What is wrong with one check's outcome (empty if nothing). A bad value given with other flags
  (`extra`, e.g. --data_dir with a TFDS --dataset) may be refused for any of them."""
  if check['flag'] is None:  # the control: the defaults must get as far as training
    if check['outcome'] in FINE_WITHOUT_A_BAD_VALUE:
      return []
    needed = NEEDS_INPUT.get(check['experiment'])
    if needed and check['outcome'] == 'error' and not check['written'] and len(check['stderr']) == 1 \
        and names(check['stderr'][0], needed):
      return []
    return [f"without a bad value it ends in {check['outcome']}: {check['stderr'][-1:]}"
            f"{check['detail'][-500:]}"]
  given = [check['flag']] + [extra.split('=')[0].lstrip('-') for extra in check['extra']]
  found = []
  if check['outcome'] not in ('absl', 'error'):
    found.append(f"{check['outcome']} ({check['detail'][-300:] or 'no error'})")
  if check['exit'] in (0, None):
    found.append(f"exit status {check['exit']}")
  if any('Traceback' in line for line in check['stderr']):
    found.append('a traceback')
  if check['outcome'] == 'error':
    if len(check['stderr']) != 1 or not check['stderr'][0].startswith('launch.py: error:'):
      found.append(f"stderr is not one 'launch.py: error:' line: {check['stderr'][:4]}")
    elif not any(names(check['stderr'][0], flag) for flag in given):
      found.append(f"the message does not name --{' or --'.join(given)}: {check['stderr'][0]}")
  if check['outcome'] == 'absl' and not check['stderr'][0].startswith(
      f"FATAL Flags parsing error: flag --{check['flag']}="):
    found.append(f"absl's message does not name --{check['flag']}: {check['stderr'][:1]}")
  if check['written']:
    found.append(f"wrote {check['written'][:4]}")
  return found


@pytest.mark.parametrize('name', sorted(launch.available()))
def test_every_bad_flag_value_ends_in_one_line_naming_the_flag(catalogue, name):
  checks = [c for c in catalogue if c['experiment'] == name]
  assert len(checks) > 1, f'{name}: no flag was checked: {checks}'
  failures = [f"  --{c['flag']}={c['value']} {' '.join(c['extra'])}: {'; '.join(found)}"
              for c in checks if (found := problems(c))]
  assert not failures, f'{name}, {len(failures)} of {len(checks)} checks:\n' + '\n'.join(failures)


@pytest.mark.parametrize('message, flag, expected', [
    ('--sizes=bogus: expected ints', 'sizes', True),
    ("sizes: n=5000 is out of range", 'sizes', True),
    ('learning_rate=nan: must be positive', 'learning_rate', True),
    ('learning_rate=nan: must be positive', 'lasso_learning_rate', False),
    ('the experiment has no runs', 'parts', False),
    ('--bench_steps=0', 'steps', False),
])
def test_names_needs_the_flag_as_a_word(message, flag, expected):
  assert names(message, flag) is expected
