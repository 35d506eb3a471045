"""The reproduction's record, `ROOT/reproduce.json`, and how its times read. No heavy imports: the
process that runs the reproduction stays light."""

import json
import pathlib

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
STATE_FILE = 'reproduce.json'


def clock(seconds: float) -> str:
  """`42 s`, `3 min 05 s`, `1 h 02 min`."""
  seconds = int(round(seconds))
  if seconds < 60:
    return f'{seconds} s'
  if seconds < 3600:
    return f'{seconds // 60} min {seconds % 60:02d} s'
  return f'{seconds // 3600} h {seconds % 3600 // 60:02d} min'


def read_state(root: pathlib.Path) -> dict | None:
  """`ROOT/reproduce.json` (written by `lib.report.reproduce`), or None if there is none."""
  path = pathlib.Path(root) / STATE_FILE
  return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None
