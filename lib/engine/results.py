"""The work directory of a sweep: its config (`config.json`) and one JSON line per finished run.

Lines are appended atomically enough for resume: each record is written with one `write` of the whole
line, then flushed and fsynced; a reader ignores a trailing line without its newline (a run killed while
writing), so every complete line is one finished run.
"""

import json
import os
import pathlib

CONFIG_FILE = 'config.json'
RESULTS_FILE = 'results.jsonl'


def append_record(path: os.PathLike, record: dict) -> None:
  """Appends `record` as one JSON line, durably (one write, flush, fsync)."""
  line = json.dumps(record, sort_keys=True) + '\n'
  with open(path, 'a', encoding='utf-8') as f:
    f.write(line)
    f.flush()
    os.fsync(f.fileno())


def read_records(path: os.PathLike) -> list[dict]:
  """Every complete JSON line of `path` (none if no file); a trailing partial line is ignored."""
  path = pathlib.Path(path)
  if not path.exists():
    return []
  text = path.read_text(encoding='utf-8')
  complete = text[:text.rfind('\n') + 1]
  return [json.loads(line) for line in complete.splitlines() if line.strip()]


def prepare_workdir(workdir: os.PathLike, config: dict, overwrite: bool) -> pathlib.Path:
  """Creates or reopens a sweep's work directory, refusing one that holds a different sweep.

  Args:
    workdir: the directory.
    config: the sweep's JSON-serialisable config; stored as `config.json`.
    overwrite: if the stored config differs, delete its results file and start afresh instead of
      refusing.

  Returns:
    The directory path.

  Raises:
    ValueError: the directory holds a sweep with another config and `overwrite` is False.
  """
  workdir = pathlib.Path(workdir)
  config_path = workdir / CONFIG_FILE
  normal = json.loads(json.dumps(config, sort_keys=True))
  if config_path.exists():
    stored = json.loads(config_path.read_text(encoding='utf-8'))
    if stored == normal:
      return workdir
    if not overwrite:
      changed = sorted(k for k in set(stored) | set(normal) if stored.get(k) != normal.get(k))
      raise ValueError(f'workdir={str(workdir)!r} holds results of a different config (differs in '
                       f'{changed}); pass --overwrite to replace them or choose another --workdir')
    (workdir / RESULTS_FILE).unlink(missing_ok=True)
  workdir.mkdir(parents=True, exist_ok=True)
  config_path.write_text(json.dumps(normal, indent=2, sort_keys=True) + '\n', encoding='utf-8')
  return workdir
