"""--precision reaches the compiled program and the provenance; --compilation_cache lets a second
launch of the same grid, in a fresh work directory, read its program instead of compiling it (on a jax
that stores programs with host callbacks; jax 0.10.2 does not, and the records say so)."""

import json
import os
import pathlib
import subprocess
import sys

import jax

from launch_helper import ROOT

TINY_SE = ('--dataset=digits', '--archs=fc', '--num_seeds=1', '--cpu_devices=1', '--sizes=10',
           '--steps=4', '--eval_every=2', '--batch_size=8')


def _launch(workdir: pathlib.Path, cache: pathlib.Path, dump: pathlib.Path) -> list[dict]:
  env = {**os.environ, 'JAX_DISABLE_MOST_OPTIMIZATIONS': '1',
         'JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS': '0',  # store even a tiny program
         'XLA_FLAGS': f'--xla_dump_to={dump} --xla_dump_hlo_as_text'}
  env.pop('JAX_DEFAULT_MATMUL_PRECISION', None)  # the flag alone sets it
  done = subprocess.run(
      [sys.executable, 'launch.py', '--experiment=sample_efficiency', *TINY_SE, '--precision=highest',
       f'--compilation_cache={cache}', f'--workdir={workdir}'],
      cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'programs read from the cache' in done.stderr, done.stderr[-3000:]
  return [json.loads(line) for line in (workdir / 'results.jsonl').read_text().splitlines()]


def test_precision_and_cache_flags(tmp_path):
  cache = tmp_path / 'cache'
  first = _launch(tmp_path / 'first', cache, tmp_path / 'dump1')
  second = _launch(tmp_path / 'second', cache, tmp_path / 'dump2')
  for record in first + second:
    assert record['provenance']['matmul_precision'] == 'highest'
    assert record['provenance']['compilation_cache'] == str(cache)
    assert record['compile_time_s'] > 0
  dots = [line for path in (tmp_path / 'dump1').glob('*train*after_optimizations.txt')
          for line in path.read_text().splitlines() if ' dot(' in line]
  assert dots and all('operand_precision={highest,highest}' in line for line in dots), dots[:3]
  assert not any(r['compiled_from_cache'] for r in first)
  if jax.__version_info__ >= (0, 12):
    assert all(r['compiled_from_cache'] for r in second)
    assert second[0]['compile_time_s'] < first[0]['compile_time_s']
  elif jax.__version_info__ < (0, 11):
    assert not any(r['compiled_from_cache'] for r in second)
