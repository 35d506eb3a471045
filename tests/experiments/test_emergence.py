"""The emergence experiment end to end on a tiny grid, and its flag validation."""

import json

import pytest

from launch_helper import launch

TINY = ('--input_size=16', '--time=4', '--eval_points=2', '--num_seeds=1', '--gains=3',
        '--xis=1,3', '--kernel_size=3', '--window=3', '--archs=fc,lcn')


def test_tiny_run_writes_records_tables_and_figures(tmp_path):
  workdir = tmp_path / 'emergence'
  done = launch('emergence', f'--workdir={workdir}', *TINY)
  assert done.returncode == 0, done.stderr[-3000:]
  records = [json.loads(line) for line in (workdir / 'results.jsonl').read_text().splitlines()]
  assert sorted((r['arch'], r['kind']) for r in records) == sorted(
      (a, k) for a in ('fc', 'lcn') for k in ('gp', 'nlgp'))
  for r in records:
    assert len(r['ipr']) == len(r['locality']) == 2
    assert 1 / 16 <= r['ipr'][-1] <= 1 and 0 < r['locality'][-1] <= 1
    if r['arch'] != 'fc':
      assert r['locality'][-1] == pytest.approx(1.0)  # a 3-tap field inside a 3-position window
  fc = next(r for r in records if r['arch'] == 'fc')
  assert len(fc['rows']) == 8 and len(fc['rows'][0]) == 16
  assert 'IPR ratio NLGP / GP' in (workdir / 'summary.md').read_text()
  for name in ('emergence_weights', 'emergence_gain', 'emergence_time'):
    assert (workdir / f'{name}.png').stat().st_size > 0, name


@pytest.mark.parametrize('flag, message', [('--xis=2', 'one per class'),
                                           ('--window=40', 'window=40')])
def test_bad_flags_end_in_one_line(flag, message, tmp_path):
  done = launch('emergence', f'--workdir={tmp_path / "w"}', *TINY, flag)
  assert done.returncode == 2 and message in done.stderr, done.stderr[-2000:]
