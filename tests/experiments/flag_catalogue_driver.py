"""Gives every flag of every experiment a bad value and reports, as JSON, what launch.py would do.

Run by test_flag_catalogue.py: `python tests/experiments/flag_catalogue_driver.py REPORT.json [NAME ...]`
(default: every experiment `launch.available()` lists). Experiments may define flags of the same name,
so each one is imported in a process of its own: this driver imports the library (and generates
MNIST-1D) once, then forks a child per experiment, which imports that experiment and forks one
short-lived grandchild per check, so every check starts from unparsed flags and a JAX that has not
initialised. A grandchild does what launch.py does: `app.run` parses the command line (absl's own
validation), then `launch.guarded` calls the experiment's main, with `jax.jit`, XLA's compiler (so any
JAX computation: eager operations compile too) and `subprocess.Popen` of Python refusing, in an empty
current directory with --workdir inside it. Its stdout and stderr are captured.

A check's report: the experiment, the flag, the bad value, the outcome ('absl' rejected it while
parsing, 'error' from launch.guarded, 'accepted' (main returned), 'compiled', 'computed' or
'subprocess' (main got that far), 'raised' (another exception: the traceback), 'timeout', 'crashed'), the exit status, the
non-log lines of stderr, and the files written. Each experiment also gets a control check without a bad
value, which should reach 'compiled' or 'accepted'.
"""

import importlib
import json
import os
import pathlib
import pkgutil
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
from absl import app, flags  # pylint: disable=g-import-not-at-top,wrong-import-position
from jax._src import compiler, xla_bridge  # pylint: disable=g-import-not-at-top,wrong-import-position

import launch  # pylint: disable=g-import-not-at-top,wrong-import-position

FLAGS = flags.FLAGS
SHARED_MODULES = ('experiments.sweep_flags', 'experiments.device_flags')
CHECK_TIMEOUT_S = 60
# Flags whose generic bad value (by type, below) is a valid one: (value, extra flags) pairs.
SPECIFIC = {
    'row': [('bogus', ())],  # scale's internal SHAPE:ARCH
    'scan_steps': [('0', ())],  # layer_speed: once a ZeroDivisionError (issue 7, case 10)
    'data_dir': [('/nonexistent/tfds-data', ('--dataset=tfds:mnist',))],
}
LOG_LINE = re.compile(r'^[IWEF]\d{4} \d\d:\d\d:\d\d')  # absl's log prefix


class Refused(BaseException):  # not an Exception: an experiment's `except Exception` lets it through
  """Raised instead of compiling or starting a process: the bad value got past validation."""


def bad_values(flag) -> list[tuple[str, tuple[str, ...]]]:
  """`(value, extra flags)` pairs that are wrong for `flag` whatever the experiment."""
  if flag.name in SPECIFIC:
    return SPECIFIC[flag.name]
  parser = flag.parser
  if isinstance(parser, flags.BooleanParser):
    return [('maybe', ())]
  if isinstance(parser, flags.IntegerParser):
    values = [str(parser.lower_bound - 1) if parser.lower_bound is not None else '-1']
    if parser.upper_bound is not None:
      values.append(str(parser.upper_bound + 1))
    return [(v, ()) for v in values]
  if isinstance(parser, flags.FloatParser):
    return [('nan', ())]
  if isinstance(parser, (flags.EnumParser, flags.EnumClassParser)):
    return [('bogus', ())]
  if isinstance(parser, flags.ListParser):
    return [('', ()), ('bogus', ())]
  return [('', ())]


def _refuse(what):
  def refuse(*args, **kwargs):
    del args, kwargs
    raise Refused(what)
  return refuse


def _refusing_python(popen):
  """`subprocess.Popen` that refuses to start Python (a launch of an experiment), nothing else."""
  def start(args, *rest, **kwargs):
    command = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
    if command and os.path.basename(str(command[0])).startswith('python') or (
        command and str(command[0]) == sys.executable):
      raise Refused(f'subprocess.Popen({command[:3]}...)')
    return popen(args, *rest, **kwargs)
  return start


def _files_under(path: pathlib.Path) -> list[str]:
  return sorted(str(p.relative_to(path)) for p in path.rglob('*'))


def run_check(module, argv: list[str], scratch: pathlib.Path) -> dict:
  """In a forked grandchild: launch.py's path for `argv`, with compiling and processes refused."""
  out, err = scratch / 'stdout', scratch / 'stderr'
  here = scratch / 'cwd'
  here.mkdir()
  os.chdir(here)
  for fd, path in ((1, out), (2, err)):
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(handle, fd)
    os.close(handle)
  sys.argv = list(argv)
  jax.jit = _refuse('jax.jit')
  jax.pmap = _refuse('jax.pmap')
  compiler.compile_or_get_cached = _refuse('an XLA compile (of a jitted function or an eager op)')
  subprocess.Popen = _refusing_python(subprocess.Popen)
  outcome, code, detail = 'accepted', 0, ''
  try:
    app.run(lambda rest: launch.guarded(module.main, rest), argv=list(argv))
  except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    outcome = 'accepted' if code == 0 else 'error'
  except Refused as refused:
    what = str(refused)
    outcome = 'subprocess' if 'Popen' in what else 'computed' if 'eager' in what else 'compiled'
    code, detail = 1, what
  except BaseException:  # pylint: disable=broad-except
    outcome, code, detail = 'raised', 1, traceback.format_exc()
  sys.stdout.flush()
  sys.stderr.flush()
  stderr = err.read_text(errors='replace')
  if outcome == 'error' and 'Flags parsing error' in stderr:
    outcome = 'absl'
  return {'outcome': outcome, 'exit': code, 'detail': detail[-3000:],
          'stderr': [line for line in stderr.splitlines() if line.strip() and not LOG_LINE.match(line)],
          'written': _files_under(here)}


def fork_check(module, argv: list[str]) -> dict:
  """Runs `run_check` in a forked grandchild, within CHECK_TIMEOUT_S."""
  with tempfile.TemporaryDirectory(prefix='flag-check-') as scratch:
    scratch = pathlib.Path(scratch)
    report = scratch / 'report.json'
    pid = os.fork()
    if pid == 0:
      try:
        result = run_check(module, argv, scratch)
        report.write_text(json.dumps(result))
      finally:
        os._exit(0)  # pylint: disable=protected-access
    tic = time.monotonic()
    deadline = tic + CHECK_TIMEOUT_S
    while True:
      done, status = os.waitpid(pid, os.WNOHANG)
      if done:
        break
      if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return {'outcome': 'timeout', 'exit': None, 'detail': f'still running after '
                f'{CHECK_TIMEOUT_S} s', 'stderr': [], 'written': _files_under(scratch / 'cwd')}
      time.sleep(0.01)
    if os.WIFSIGNALED(status) or not report.exists():
      return {'outcome': 'crashed', 'exit': -os.WTERMSIG(status) if os.WIFSIGNALED(status) else
              os.WEXITSTATUS(status), 'detail': '', 'stderr': [], 'written': []}
    return {**json.loads(report.read_text()), 'seconds': round(time.monotonic() - tic, 2)}


def experiment_checks(name: str) -> list[dict]:
  """In a forked child: imports experiment `name`, then runs its control and every bad value."""
  module = importlib.import_module(f'experiments.{name}')
  if xla_bridge.backends_are_initialized():
    return [{'experiment': name, 'flag': None, 'value': None, 'extra': [], 'outcome': 'raised',
             'exit': None, 'detail': 'importing the experiment initialised JAX', 'stderr': [],
             'written': []}]
  by_module = FLAGS.flags_by_module_dict()
  own = list(by_module.get(f'experiments.{name}', []))
  shared = [flag for module in SHARED_MODULES if module in sys.modules
            for flag in by_module.get(module, [])]
  base = ['--workdir=workdir'] if any(f.name == 'workdir' for f in own) else []
  checks = [(None, None, ())]
  checks += [(flag.name, value, extra) for flag in own + shared for value, extra in bad_values(flag)]
  reports = []
  for flag_name, value, extra in checks:
    given = [] if flag_name is None else [f'--{flag_name}={value}']
    rest = [a for a in base if not a.startswith(f'--{flag_name}=')]
    argv = ['launch.py', *extra, *given, *rest]
    reports.append({'experiment': name, 'flag': flag_name, 'value': value, 'extra': list(extra),
                    'argv': argv[1:], **fork_check(module, argv)})
  return reports


def main(report_path: str, names: list[str]) -> None:
  for path in sorted((ROOT / 'lib').rglob('*.py')):  # everything heavy, imported once
    try:
      importlib.import_module('.'.join(path.relative_to(ROOT).with_suffix('').parts).replace(
          '.__init__', ''))
    except Exception:  # pylint: disable=broad-except
      pass  # a module being written; an experiment that imports it reports the error
  from lib.data import load_dataset  # pylint: disable=g-import-not-at-top
  load_dataset('mnist1d')  # cached: every grandchild shares it
  assert not xla_bridge.backends_are_initialized(), 'the library initialised JAX at import'
  reports = []
  for name in names or list(launch.available()):
    with tempfile.NamedTemporaryFile(suffix='.json') as out:
      pid = os.fork()
      if pid == 0:
        code = 0
        try:
          pathlib.Path(out.name).write_text(json.dumps(experiment_checks(name)))
        except BaseException:  # pylint: disable=broad-except
          pathlib.Path(out.name).write_text(json.dumps([{
              'experiment': name, 'flag': None, 'value': None, 'extra': [], 'outcome': 'raised',
              'exit': None, 'detail': traceback.format_exc()[-3000:], 'stderr': [], 'written': []}]))
          code = 1
        finally:
          os._exit(code)  # pylint: disable=protected-access
      os.waitpid(pid, 0)
      reports += json.loads(pathlib.Path(out.name).read_text() or '[]')
  pathlib.Path(report_path).write_text(json.dumps(reports, indent=1))


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2:])
