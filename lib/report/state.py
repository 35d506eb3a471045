"""The reproduction's record, `ROOT/reproduce.json`. No heavy imports: the process that runs the
reproduction stays light."""

import json
import pathlib

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
STATE_FILE = 'reproduce.json'


def read_state(root: pathlib.Path) -> dict | None:
  """`ROOT/reproduce.json` (written by `lib.report.reproduce`), or None if there is none."""
  path = pathlib.Path(root) / STATE_FILE
  return json.loads(path.read_text(encoding='utf-8')) if path.is_file() else None
