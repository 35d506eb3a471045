"""The work directory of a sweep: its config, one JSON line per finished run, and a lock.

`Workdir` is the way in. Entering it, before anything trains, checks that the directory can be written,
takes a lock that a second process on the same directory cannot get, and checks the stored config.
`records()` reads the finished runs; `append()` adds one. A record counts once its whole line, newline
included, is on disk: a last line cut short (a process killed while writing) is set aside in
`results.jsonl.partial` and its run is trained again.

    with Workdir(path, config, overwrite=False) as workdir:
      done = workdir.records()
      ...
      workdir.append(record)
"""

import datetime
import json
import math
import os
import pathlib
import shlex
import socket
import sys
import tempfile
from typing import Any

import filelock
import numpy as np
from absl import logging

from lib.engine import identity

CONFIG_FILE = 'config.json'
RESULTS_FILE = 'results.jsonl'
PARTIAL_FILE = 'results.jsonl.partial'  # cut or unparsable last lines, set aside
LOCK_FILE = 'workdir.lock'
HOLDER_FILE = 'workdir.lock.holder'  # JSON: pid, host and command line of the process holding the lock
REPLACED_PREFIX = 'replaced-'  # + timestamp: where --overwrite moves the previous sweep's files
GRID_FILE = 'grid.json'  # the grid the running command asked for (`lib.engine.grid_file`)
KEPT_ON_OVERWRITE = frozenset({LOCK_FILE, HOLDER_FILE, GRID_FILE})  # the running sweep's own


class WorkdirError(ValueError):
  """A work directory that cannot be used as asked; the message names --workdir and what to do."""


class Workdir:
  """A sweep's work directory: `config.json`, `results.jsonl`, and a lock held while it is open.

  Use it as a context manager: the checks, the lock and the config happen on entering, and the lock is
  released on leaving. Other processes of a multi-host run open it with `writer=False`: no lock and no
  writes, but the same `records()`.

  Attributes:
    path: the directory.
  """

  def __init__(self, path: os.PathLike | str, config: dict, *, overwrite: bool = False,
               writer: bool = True):
    """Describes the work directory; nothing on disk is touched before entering.

    Args:
      path: the directory (created on entering if missing).
      config: the sweep's JSON-serialisable config, stored as `config.json`.
      overwrite: if the directory holds a different config, move its files, everything derived
        included, aside (into a `replaced-TIMESTAMP-*` folder inside it) when the new sweep appends its
        first record, instead of refusing. A config that differs only in its grid's axes is the same
        sweep (`lib.engine.identity`): it is stored and resumed without `overwrite`.
      writer: whether this process writes (process 0 of a multi-host run); if False, no lock is taken
        and nothing is written.

    Raises:
      WorkdirError: the path is empty.
    """
    if path is None or not str(os.fspath(path)).strip():
      raise WorkdirError('--workdir is empty: results would land in the current directory; pass '
                         '--workdir=DIR')
    self.path = pathlib.Path(path)
    self._config = json.loads(_dumps(config))
    self._overwrite = overwrite
    self._writer = writer
    self._lock: filelock.BaseFileLock | None = None
    self._open = False
    self._replace_pending = False  # --overwrite of a different sweep, not yet carried out

  def __enter__(self) -> 'Workdir':
    """Checks the directory, takes its lock, checks the config and reads the records once.

    Raises:
      WorkdirError: the directory cannot be created or written, another process holds it, it holds a
        different config (without `overwrite`), or a line of `results.jsonl` other than the last is
        corrupt.
    """
    if self._writer:
      self._check_writable()
      self._acquire()
    try:
      self._check_config()
      self._open = True
      self.records()  # sets aside a cut last line now; refuses a corrupt one before anything trains
    except BaseException:
      self._release()
      raise
    return self

  def __exit__(self, *exc_info) -> None:
    self._release()

  def records(self) -> list[dict]:
    """Every finished run, in the order recorded; `[]` while an `overwrite` is pending.

    A cut or unparsable last line is moved to `results.jsonl.partial` with a warning (a writer only;
    other processes skip it), so its run is trained again and the next append starts on a fresh line.
    Non-standard constants (`NaN`, `Infinity`) read as None.

    Returns:
      One dict per complete line of `results.jsonl`.

    Raises:
      WorkdirError: a line other than the last is not a JSON object; names the file and line number.
    """
    self._require_open()
    path = self.path / RESULTS_FILE
    if self._replace_pending or not path.exists():
      return []
    data = path.read_bytes()
    lines, offset = [], 0  # (line number, byte offset, text) of every non-blank line
    for number, text in enumerate(data.split(b'\n'), start=1):
      if text.strip():
        lines.append((number, offset, text))
      offset += len(text) + 1
    if not lines:
      return []
    *body, (last_number, last_offset, last_text) = lines
    records = []
    for number, _, text in body:
      try:
        records.append(_parse(text))
      except ValueError as error:
        raise WorkdirError(
            f'--workdir={self.path}: {path}, line {number} is not a JSON record ({error}). Only a '
            f'corrupt last line is set aside by itself: repair or delete line {number} (its run is '
            f'then trained again), or choose another --workdir.') from None
    try:
      last = _parse(last_text)
    except ValueError as error:
      self._set_aside(last_offset, last_text, last_number, f'is not a JSON record ({error})')
      return records
    if last_offset + len(last_text) == len(data):  # no newline after it: its writer was stopped
      self._set_aside(last_offset, last_text, last_number, 'has no newline (its writer was stopped)')
      return records
    return records + [last]

  def append(self, record: dict) -> None:
    """Appends `record` as one line of standard JSON, then flushes and fsyncs it.

    Non-finite floats (also inside lists, dicts, NumPy scalars and arrays) are written as null. The
    first append after an `overwrite` of a different sweep first moves the old files aside.

    Args:
      record: a JSON-serialisable dict.
    """
    self._require_open()
    if not self._writer:
      raise RuntimeError(f'Workdir({str(self.path)!r}) was opened with writer=False: it cannot append')
    line = _dumps(record) + '\n'
    if self._replace_pending:
      self._move_previous_aside()
    with open(self.path / RESULTS_FILE, 'a', encoding='utf-8') as f:
      f.write(line)
      f.flush()
      os.fsync(f.fileno())

  # --- entering -----------------------------------------------------------------------------------

  def _check_writable(self) -> None:
    """Creates the directory, then writes (and removes) a probe file in it."""
    try:
      self.path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
      raise WorkdirError(f'--workdir={self.path} cannot be created as a directory ({error}); choose '
                         f'another --workdir') from error
    try:
      with tempfile.NamedTemporaryFile(dir=self.path, prefix='.write-probe-') as probe:
        probe.write(b'probe')
        probe.flush()
      for name in (RESULTS_FILE, CONFIG_FILE):
        if (self.path / name).exists():
          open(self.path / name, 'a', encoding='utf-8').close()
    except OSError as error:
      raise WorkdirError(f'--workdir={self.path} is not writable ({error}); fix its permissions or '
                         f'choose another --workdir') from error

  def _acquire(self) -> None:
    """Takes the lock at once or refuses, naming the holder; then records this process as holder."""
    lock = filelock.FileLock(str(self.path / LOCK_FILE), timeout=0)
    try:
      lock.acquire()
    except filelock.Timeout:
      raise WorkdirError(
          f'--workdir={self.path} is in use by {self._holder()}: two sweeps on one work directory would '
          f'train and record every run twice. Wait for it to finish (or stop it), or choose another '
          f'--workdir.') from None
    self._lock = lock
    holder = {'pid': os.getpid(), 'host': socket.gethostname(), 'command': shlex.join(sys.orig_argv),
              'since': datetime.datetime.now().isoformat(timespec='seconds')}
    write_atomically(self.path / HOLDER_FILE, json.dumps(holder) + '\n')

  def _holder(self) -> str:
    """Describes the process holding the lock, from the holder file."""
    try:
      holder = json.loads((self.path / HOLDER_FILE).read_text(encoding='utf-8'))
      return (f'pid {holder["pid"]} on host {holder["host"]} (command: {holder["command"]}; since '
              f'{holder["since"]})')
    except (OSError, ValueError, KeyError, TypeError):
      return f'another process (not yet named in {self.path / HOLDER_FILE})'

  def _release(self) -> None:
    if self._lock is not None:
      (self.path / HOLDER_FILE).unlink(missing_ok=True)
      self._lock.release()
      self._lock = None
    self._open = False

  def _check_config(self) -> None:
    """Stores the config on first use; refuses another one, or marks it for replacing."""
    config_path, results_path = self.path / CONFIG_FILE, self.path / RESULTS_FILE
    try:
      stored = json.loads(config_path.read_text(encoding='utf-8'))
    except FileNotFoundError:
      stored = None
    except ValueError as error:
      stored = f'unreadable ({error})'
    has_results = results_path.exists() and results_path.stat().st_size > 0
    same_sweep = isinstance(stored, dict) and not identity.differing(stored, self._config)
    if same_sweep or (stored is None and not has_results):
      if stored != self._config and self._writer:  # new, or the same sweep with another grid
        write_atomically(config_path, json.dumps(self._config, indent=2, sort_keys=True) + '\n')
      return
    if not self._overwrite:
      if stored is None:
        held = f'{RESULTS_FILE} but no {CONFIG_FILE}: results of an unknown config'
      elif isinstance(stored, dict):
        changed = identity.differing(stored, self._config)
        held = f'results of a different config (differs in {changed})'
        files = identity.changed_inputs(stored, self._config)
        if files:
          held += f'; an input file changed since they were recorded ({"; ".join(files)})'
      else:
        held = f'a {CONFIG_FILE} that is {stored}'
      raise WorkdirError(f'--workdir={self.path} holds {held}; pass --overwrite to move them aside '
                         f'(into {REPLACED_PREFIX}TIMESTAMP-*, once the new sweep records its first '
                         f'run) or choose another --workdir')
    self._replace_pending = True

  # --- records ------------------------------------------------------------------------------------

  def _require_open(self) -> None:
    if not self._open:
      raise RuntimeError(f'Workdir({str(self.path)!r}) is not open: use it in a `with` statement')

  def _set_aside(self, offset: int, text: bytes, number: int, reason: str) -> None:
    """Moves the last line (from byte `offset` on) of results.jsonl to the partial file."""
    results_path, partial_path = self.path / RESULTS_FILE, self.path / PARTIAL_FILE
    if not self._writer:
      logging.warning('%s: its last line (line %d) %s; skipped it (the writing process sets it aside).',
                      results_path, number, reason)
      return
    with open(partial_path, 'ab') as f:
      f.write(text + b'\n')
      f.flush()
      os.fsync(f.fileno())
    with open(results_path, 'r+b') as f:
      f.truncate(offset)
      f.flush()
      os.fsync(f.fileno())
    logging.warning('%s: its last line (line %d) %s; moved it to %s, and its run will be trained again.',
                    results_path, number, reason, partial_path)

  def _move_previous_aside(self) -> None:
    """Moves every file of the previous sweep (its records, config and everything derived from them:
    summaries, CSVs, figures, curves) into a new timestamped folder, then stores the new config."""
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    aside = pathlib.Path(tempfile.mkdtemp(prefix=f'{REPLACED_PREFIX}{stamp}-', dir=self.path))
    for path in sorted(self.path.iterdir()):
      if path.name not in KEPT_ON_OVERWRITE and not path.name.startswith((REPLACED_PREFIX, '.')):
        os.replace(path, aside / path.name)
    write_atomically(self.path / CONFIG_FILE, json.dumps(self._config, indent=2, sort_keys=True) + '\n')
    self._replace_pending = False
    logging.warning('--overwrite: moved the previous results of --workdir=%s to %s.', self.path, aside)


def standard_json(value: Any) -> Any:
  """`value` with NumPy (and other array) values as Python ones and every non-finite float as None.

  Args:
    value: a JSON-like tree of dicts, lists, tuples, scalars and arrays.

  Returns:
    The same tree of dicts, lists and Python scalars, which `json.dumps(allow_nan=False)` accepts.
  """
  if isinstance(value, dict):
    return {key: standard_json(item) for key, item in value.items()}
  if isinstance(value, (list, tuple)):
    return [standard_json(item) for item in value]
  if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, '__array__'):
    return standard_json(np.asarray(value).tolist())
  if isinstance(value, float) and not math.isfinite(value):
    return None
  return value


def _dumps(value: Any) -> str:
  """One line of standard JSON (keys sorted), non-finite floats as null."""
  return json.dumps(standard_json(value), allow_nan=False, sort_keys=True)


def _parse(text: bytes) -> dict:
  """Parses one line as a JSON object; `NaN` and `Infinity` read as None. Raises ValueError."""
  record = json.loads(text, parse_constant=lambda constant: None)
  if not isinstance(record, dict):
    raise ValueError(f'a JSON {type(record).__name__}, not an object')
  return record


def write_atomically(path: pathlib.Path, text: str) -> None:
  """Writes `text` (UTF-8) to a temporary file beside `path`, then renames it into place, so a
  reader sees the old file or the new one, never a part."""
  with tempfile.NamedTemporaryFile('w', encoding='utf-8', dir=path.parent, prefix=f'.{path.name}-',
                                   delete=False) as f:
    f.write(text)
    f.flush()
    os.fsync(f.fileno())
  os.chmod(f.name, 0o666 & ~_umask())  # the mode `open` would give, not the temporary file's 0600
  os.replace(f.name, path)


def _umask() -> int:
  mask = os.umask(0o022)
  os.umask(mask)
  return mask


def in_grid_order(records: list[dict]) -> list[dict]:
  """Records sorted by `grid_index`, their run's position in the experiment's grid (the engine trains
  the costliest groups first, so `results.jsonl` holds them in training order); records without one
  follow in their recorded order."""
  return sorted(records, key=lambda r: r.get('grid_index', math.inf))
