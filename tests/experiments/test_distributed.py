"""The --distributed path for real (issue 7): two processes on this machine (127.0.0.1, one CPU device
each, JAX's CPU collectives: gloo, the default in jax 0.10 and 0.12) train one small sweep together;
its records equal a single-process run of the same grid, and process 0 alone writes them."""

import collections
import dataclasses
import json
import os
import socket
import subprocess
import sys

import numpy as np

from launch_helper import ROOT
from lib.data import load_dataset
from lib.engine import experiment, grids, protocols

SIZES, SEEDS = (10, 20), (0, 1)
TRAIN = dataclasses.replace(protocols.IMAGE_TRAIN, batch_size=8, steps=20, eval_every=10)
FLAGS = ('--dataset=digits', '--archs=fc', f'--sizes={",".join(map(str, SIZES))}',
         f'--num_seeds={len(SEEDS)}', f'--batch_size={TRAIN.batch_size}', f'--steps={TRAIN.steps}',
         f'--eval_every={TRAIN.eval_every}', '--cpu_devices=1')


def _free_port() -> int:
  with socket.socket() as probe:
    probe.bind(('127.0.0.1', 0))
    return probe.getsockname()[1]


def _two_processes(workdir) -> list[subprocess.CompletedProcess]:
  """`launch.py --experiment=sample_efficiency --distributed` as processes 0 and 1, side by side."""
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  cluster = ('--distributed', f'--coordinator_address=127.0.0.1:{_free_port()}', '--num_processes=2')
  processes = [subprocess.Popen(
      [sys.executable, 'launch.py', '--experiment=sample_efficiency', *FLAGS, *cluster,
       f'--process_id={i}', f'--workdir={workdir}'], cwd=ROOT, env=env, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True) for i in range(2)]
  done = []
  try:
    for process in processes:
      stdout, stderr = process.communicate(timeout=240)
      done.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
  finally:
    for process in processes:
      if process.poll() is None:
        process.kill()
        process.communicate()
  return done


def test_two_processes_equal_one_and_only_process_0_writes(tmp_path):
  workdir = tmp_path / 'distributed'
  first, second = _two_processes(workdir)
  assert first.returncode == 0, first.stderr[-3000:]
  assert second.returncode == 0, second.stderr[-3000:]
  for process in (first, second):
    assert 'Traceback' not in process.stderr
    assert 'Connecting to JAX distributed service on 127.0.0.1' in process.stderr

  records = [json.loads(line) for line in (workdir / 'results.jsonl').read_text().splitlines()]
  assert collections.Counter((r['n'], r['seed']) for r in records) == {
      (n, s): 1 for n in SIZES for s in SEEDS}
  assert all('--process_id=0' in r['provenance']['command'] for r in records)
  assert all(r['provenance']['num_devices'] == 2 and r['provenance']['num_processes'] == 2
             for r in records)
  assert '| fc | 10 | 2' in first.stdout and '| fc |' not in second.stdout  # summary once
  assert (workdir / 'summary.md').exists() and (workdir / 'sample_efficiency.png').exists()

  data = load_dataset('digits')
  alone = experiment.run(grids.standard_groups(data, 'digits', ('fc',), SIZES, SEEDS, TRAIN),
                         tmp_path / 'alone', {})
  expected = {(r['n'], r['seed']): r for r in alone}
  for record in records:
    single = expected[record['n'], record['seed']]
    for metric in ('train_loss', 'test_loss', 'train_accuracy', 'test_accuracy'):
      np.testing.assert_allclose(record['curves'][metric], single['curves'][metric], atol=1e-5,
                                 err_msg=f"{metric} of n={record['n']} seed={record['seed']}")
