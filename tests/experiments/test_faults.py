"""Faults a demanding user meets (issue 7): Ctrl-C in the middle of a chunk (case 6), sweeps whose runs
all diverge (cases 4 and 5), and the summary printed once (case 11). Each one runs launch.py in a real
subprocess, and the SIGINT is a real signal."""

import collections
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from launch_helper import ROOT, launch

TINY_SE = ('--dataset=digits', '--archs=fc', '--num_seeds=1', '--cpu_devices=1')
DIVERGING = ('--optimizer=sgd', '--learning_rate=1e30')


def _records(workdir: pathlib.Path) -> list[dict]:
  """results.jsonl parsed strictly: standard JSON only (a `NaN` or `Infinity` token fails)."""
  def refuse(constant):
    raise AssertionError(f'non-standard JSON constant {constant} in results.jsonl')
  text = (workdir / 'results.jsonl').read_text()
  return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


def _complete_lines(path: pathlib.Path) -> int:
  return path.read_text().count('\n') if path.exists() else 0


def test_sigint_mid_chunk_keeps_the_finished_chunk_and_resumes(tmp_path):
  """Two one-run chunks; SIGINT as soon as the first is recorded lands in (or just before) the
  second: exit 130 within seconds, one line saying how to resume, the first run kept; a rerun trains
  only the second."""
  workdir = tmp_path / 'se'
  flags = (*TINY_SE, '--sizes=10,20', '--chunk_size=1', '--steps=1000', '--eval_every=500',
           f'--workdir={workdir}')
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  process = subprocess.Popen(
      [sys.executable, 'launch.py', '--experiment=sample_efficiency', *flags], cwd=ROOT, env=env,
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  try:
    deadline = time.monotonic() + 240
    while _complete_lines(workdir / 'results.jsonl') < 1:
      assert process.poll() is None, process.communicate()[1][-3000:]
      assert time.monotonic() < deadline, 'the first chunk was never recorded'
      time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    stopped_after_s = time.monotonic() - sent
  finally:
    if process.poll() is None:
      process.kill()
      process.communicate()
  assert process.returncode == 130, stderr[-3000:]  # not 0 (ignored), 1 (traceback), -11 (segfault)
  assert stopped_after_s < 15, stopped_after_s  # a chunk of 1000 steps was left unfinished (below)
  assert 'Traceback' not in stderr and 'Fatal Python error' not in stderr, stderr[-3000:]
  said = [line for line in stderr.splitlines() if line.startswith('Interrupted.')]
  assert len(said) == 1 and 'run the same command again to resume' in said[0], stderr[-3000:]
  kept = _records(workdir)
  assert [(r['n'], r['seed']) for r in kept] == [(10, 0)]  # the finished chunk, and only it

  rerun = launch('sample_efficiency', *flags)
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  records = _records(workdir)
  assert collections.Counter((r['n'], r['seed']) for r in records) == {(10, 0): 1, (20, 0): 1}
  assert records[0] == kept[0]


def test_sweep_whose_runs_all_diverge_still_summarises(tmp_path):
  workdir = tmp_path / 'se'
  done = launch('sample_efficiency', *TINY_SE, *DIVERGING, '--sizes=10,20', '--steps=4',
                '--eval_every=2', '--batch_size=8', f'--workdir={workdir}')
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'Traceback' not in done.stderr
  assert (done.stdout + done.stderr).count('| arch | n | runs |') == 1  # the summary, printed once
  assert any(' diverged' in line for line in done.stderr.splitlines() if line.startswith('W')), (
      done.stderr[-3000:])
  records = _records(workdir)
  assert len(records) == 2 and all(r['diverged'] and r['test_loss'] is None for r in records)
  table = (workdir / 'summary.md').read_text()
  for n in (10, 20):
    assert f'| fc | {n} | 1 | 1 | diverged | diverged |' in table, table
  assert (workdir / 'sample_efficiency.png').stat().st_size > 0


def test_shift_generalization_records_divergence_not_a_result(tmp_path):
  """Before: NaN tokens in results.jsonl, and a summary of 10% accuracy and 100% consistency."""
  workdir = tmp_path / 'shift'
  done = launch('shift_generalization', *DIVERGING, '--archs=cnn', '--sizes=20', '--num_seeds=1',
                '--canvas=12', '--max_shift=2', '--steps=4', '--eval_every=2', '--batch_size=8',
                '--cpu_devices=1', f'--workdir={workdir}')
  assert done.returncode == 0, done.stderr[-3000:]
  (record,) = _records(workdir)
  assert record['diverged'] and record['converged'] is None and record['test_loss'] is None
  table = (workdir / 'summary.md').read_text()
  assert '| cnn | 20 | 1 | 1 | diverged | diverged | diverged | diverged |' in table, table
  for name in ('shift_accuracy.png', 'seen_unseen.png'):
    assert (workdir / name).stat().st_size > 0, name
