"""README.md as a tested document: its code runs, its links resolve, its test command is CI's."""

import contextlib
import io
import pathlib
import re

import jax

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text()


def test_code_block_runs_and_checks_itself():
  """The primitive's example (its own asserts compare it with lax and with its dense matrix) runs."""
  blocks = re.findall(r'```python\n(.*?)```', README, re.S)
  assert len(blocks) == 1
  printed, precision = io.StringIO(), jax.config.jax_default_matmul_precision
  try:
    with contextlib.redirect_stdout(printed):
      exec(compile(blocks[0], 'README.md', 'exec'), {'__name__': 'readme'})  # pylint: disable=exec-used
  finally:
    jax.config.update('jax_default_matmul_precision', precision)
  assert re.fullmatch(r'\(784, 1568\) dense matrix, 9\d\.\d% of it zero\n', printed.getvalue())


def test_links_resolve():
  """Every relative link and image in README names a file of the repository."""
  targets = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', README)
  local = [t for t in targets if not re.match(r'[a-z]+://', t)]
  assert local
  missing = [t for t in local if not (ROOT / t).exists()]
  assert not missing, missing


def test_command_is_the_one_ci_runs():
  command = '.venv/bin/python -m pytest -q tests'
  assert f'    {command}\n' in README
  assert f'{command} ||' in (ROOT / '.ci' / 'run').read_text()
