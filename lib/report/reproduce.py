"""`launch.py --experiment=reproduce`: every catalogue entry in sequence, one process each, into one
root directory.

Each entry runs as `PYTHON launch.py --experiment=E --workdir=ROOT/KEY FLAGS` (experiments define
absl flags of the same name, so they cannot share a process), its output shown and kept in
`ROOT/logs/KEY.log`. `ROOT/reproduce.json` records each entry's command, exit status and wall time and
is rewritten after every entry, so an interruption loses nothing. Running again resumes: an entry
recorded as done whose work directory still exists is skipped, any other one runs again (the engine's
own resume keeps its finished runs, and the wall time of an unfinished entry adds up over attempts).
An entry whose process fails is reported and the rest go on. Ctrl-C (SIGINT) is passed on to the
running entry, which keeps what it finished; then `interrupt.Interrupted` is raised.
"""

import dataclasses
import datetime
import json
import os
import pathlib
import platform
import shlex
import signal
import subprocess
import sys
import threading
import time
from typing import Sequence, TextIO

from lib.engine import interrupt, results
from lib.engine.progress import clock
from lib.report import catalogue
from lib.report.memory import TreeMemory
from lib.report.state import REPOSITORY, STATE_FILE, read_state

LOG_DIR = 'logs'
POLL_S = 0.2


def machine() -> dict:
  """What the reproduction runs on, as far as this (JAX-free) process can tell."""
  return {'cpus': os.cpu_count(), 'system': platform.system(), 'machine': platform.machine(),
          'python': platform.python_version()}


def _now() -> str:
  return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')


def _save(root: pathlib.Path, state: dict) -> None:
  """Writes reproduce.json atomically."""
  results.write_atomically(root / STATE_FILE, json.dumps(state, indent=1, sort_keys=True) + '\n')


def _copy(stream, log: TextIO, out: TextIO) -> None:
  """Copies a child's output, line by line, to its log and to `out`."""
  for line in iter(stream.readline, ''):
    log.write(line)
    log.flush()
    out.write(line)
    out.flush()


def run_child(argv: list[str], log_path: pathlib.Path,
              out: TextIO) -> tuple[int, float, bool, float | None]:
  """Runs one entry's process to its end; SIGINT here is passed on to it once.

  The child has a process group of its own, so a Ctrl-C at the terminal reaches it once, from here.

  Returns:
    `(exit status, wall seconds, whether SIGINT was requested, peak resident memory in GB or None)`:
    the largest total resident set of the child and its descendants, sampled every POLL_S seconds
    (`lib.report.memory`; None where /proc is not available).
  """
  tic = time.monotonic()
  with open(log_path, 'w', encoding='utf-8') as log, interrupt.catching_sigint():
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, process_group=0)
    copier = threading.Thread(target=_copy, args=(child.stdout, log, out), daemon=True)
    copier.start()
    forwarded, memory = False, TreeMemory(child.pid)
    try:
      while True:
        memory.sample()
        try:
          code = child.wait(timeout=POLL_S)
          break
        except subprocess.TimeoutExpired:
          pass
        if interrupt.requested() and not forwarded:
          child.send_signal(signal.SIGINT)
          forwarded = True
    except BaseException:  # a second Ctrl-C (KeyboardInterrupt): stop the child now
      child.kill()
      child.wait()
      raise
    finally:
      copier.join()
  peak = None if memory.peak_bytes is None else memory.peak_bytes / 2**30
  return code, time.monotonic() - tic, forwarded, peak


def _larger(a: float | None, b: float | None) -> float | None:
  return None if a is None and b is None else max(x for x in (a, b) if x is not None)


@dataclasses.dataclass
class Plan:
  """How far the reproduction is: entries to run, and seconds known or estimated for them."""
  todo: list[catalogue.Entry]
  recorded: dict[str, float]  # key -> wall seconds of an earlier finished run of the same command
  measured: list[float] = dataclasses.field(default_factory=list)  # wall seconds of this session's

  def eta(self, remaining: Sequence[catalogue.Entry]) -> tuple[float | None, int]:
    """Seconds left for `remaining`, and how many of them have no estimate: an entry's recorded wall
    time, else the mean of this session's entries (None if neither exists)."""
    mean = sum(self.measured) / len(self.measured) if self.measured else None
    total, unknown = 0.0, 0
    for entry in remaining:
      seconds = self.recorded.get(entry.key, mean)
      if seconds is None:
        unknown += 1
      else:
        total += seconds
    return (None if unknown == len(remaining) and remaining else total), unknown


def _flags(entry: catalogue.Entry, overrides: dict[str, tuple[str, ...]]) -> list[str]:
  return [*entry.flags, *overrides.get(entry.key, ())]


def command_line(entry: catalogue.Entry, root: pathlib.Path, flags: Sequence[str]) -> str:
  """The command of one entry as a person would type it from the repository root."""
  return catalogue.command(entry.experiment, [f'--workdir={root / entry.key}', *flags])


def reproduce(entries: Sequence[catalogue.Entry], root: os.PathLike,
              overrides: dict[str, tuple[str, ...]] | None = None, python: str = sys.executable,
              launcher: os.PathLike = REPOSITORY / 'launch.py', out: TextIO | None = None) -> dict:
  """Runs every entry not yet done into `root`, recording each in `root/reproduce.json`.

  Args:
    entries: the entries to run, in order (`catalogue.ENTRIES` or a selection).
    root: the root directory (created if missing).
    overrides: `{key: extra flags}` appended to an entry's flags (e.g. a tiny configuration).
    python: the interpreter of the children.
    launcher: the launch.py the children run.
    out: where progress lines and the children's output go (default sys.stdout).

  Returns:
    The state written to reproduce.json: `{'machine', 'entries': {key: {'experiment', 'flags',
    'command', 'status' ('done', 'failed' or 'interrupted'), 'returncode', 'wall_s' (over the
    attempts since the work directory was created), 'attempts', 'started', 'finished', 'log',
    'peak_rss_gb' (the most resident memory of its process tree, sampled; None off Linux)}}}`.

  Raises:
    interrupt.Interrupted: SIGINT arrived; the running entry was stopped and recorded.
  """
  root, overrides, out = pathlib.Path(root), overrides or {}, out or sys.stdout
  (root / LOG_DIR).mkdir(parents=True, exist_ok=True)
  state = read_state(root) or {'entries': {}}
  state['machine'] = machine()
  runs = state['entries']
  todo = []
  for entry in entries:
    run = runs.get(entry.key)
    if run and run['status'] == 'done' and run['flags'] == _flags(entry, overrides) and (
        root / entry.key).is_dir():
      print(f"[reproduce] {entry.key}: done ({clock(run['wall_s'])}), skipped; delete "
            f"{root / entry.key} to run it again", file=out, flush=True)
    else:
      todo.append(entry)
  plan = Plan(todo, {key: run['wall_s'] for key, run in runs.items() if run['status'] == 'done'})
  tic = time.monotonic()
  for i, entry in enumerate(todo):
    flags = _flags(entry, overrides)
    eta, unknown = plan.eta(todo[i:])
    print(f'[reproduce {i + 1}/{len(todo)}] {entry.key}: {command_line(entry, root, flags)}; '
          f'elapsed {clock(time.monotonic() - tic)}, ETA '
          f"{'?' if eta is None else clock(eta)}"
          f"{f' (+ {unknown} entries without an estimate)' if unknown and eta is not None else ''}",
          file=out, flush=True)
    previous = runs.get(entry.key)
    resumed = previous if (previous and previous['flags'] == flags and previous['status'] != 'done'
                           and (root / entry.key).is_dir()) else None
    started = _now()
    log = root / LOG_DIR / f'{entry.key}.log'
    code, seconds, stopped, peak_gb = run_child(
        [python, str(launcher), f'--experiment={entry.experiment}', f'--workdir={root / entry.key}',
         *flags], log, out)
    status = 'done' if code == 0 else 'interrupted' if stopped or code == 130 else 'failed'
    runs[entry.key] = {
        'experiment': entry.experiment, 'flags': flags, 'command': command_line(entry, root, flags),
        'status': status, 'returncode': code, 'started': resumed['started'] if resumed else started,
        'finished': _now(), 'wall_s': seconds + (resumed['wall_s'] if resumed else 0.0),
        'attempts': 1 + (resumed['attempts'] if resumed else 0), 'log': str(log.relative_to(root)),
        'peak_rss_gb': _larger(peak_gb, resumed.get('peak_rss_gb') if resumed else None)}
    _save(root, state)
    plan.measured.append(seconds)
    if status == 'interrupted':
      raise interrupt.Interrupted(
          f'{entry.key} was interrupted; {sum(r["status"] == "done" for r in runs.values())} entries '
          f'are done in {root}. Run the same command again to resume.')
    print(f'[reproduce] {entry.key}: {status} in {clock(seconds)}'
          + ('' if code == 0 else f' (exit status {code}; its output is in {log})'), file=out,
          flush=True)
  _save(root, state)
  return state


def parse_overrides(values: Sequence[str], keys) -> dict[str, tuple[str, ...]]:
  """`{key: flags}` from `KEY:FLAGS` strings (FLAGS split like a shell would); ValueError naming
  --override for a malformed one or an unknown key."""
  out = {}
  for value in values:
    key, sep, flags = value.partition(':')
    if not sep or key not in keys or not flags.strip():
      raise ValueError(f'--override={value!r}: expected KEY:FLAGS with KEY one of {sorted(keys)}')
    out[key] = (*out.get(key, ()), *shlex.split(flags))
  return out
