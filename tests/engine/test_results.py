"""results: atomic JSON lines, a trailing partial line ignored, the workdir's config guarded."""

import json

import pytest

from lib.engine import results


def test_append_then_read(tmp_path):
  path = tmp_path / 'r.jsonl'
  for i in range(3):
    results.append_record(path, {'i': i})
  assert [r['i'] for r in results.read_records(path)] == [0, 1, 2]


def test_trailing_partial_line_is_ignored(tmp_path):
  path = tmp_path / 'r.jsonl'
  results.append_record(path, {'i': 0})
  with open(path, 'a') as f:
    f.write('{"i": 1, "trunc')
  assert results.read_records(path) == [{'i': 0}]


def test_missing_file_reads_empty(tmp_path):
  assert results.read_records(tmp_path / 'none.jsonl') == []


def test_same_config_reopens(tmp_path):
  results.prepare_workdir(tmp_path / 'w', {'a': 1}, overwrite=False)
  results.append_record(tmp_path / 'w' / results.RESULTS_FILE, {'i': 0})
  results.prepare_workdir(tmp_path / 'w', {'a': 1}, overwrite=False)
  assert len(results.read_records(tmp_path / 'w' / results.RESULTS_FILE)) == 1


def test_different_config_refused_unless_overwrite(tmp_path):
  workdir = tmp_path / 'w'
  results.prepare_workdir(workdir, {'a': 1, 'b': 2}, overwrite=False)
  results.append_record(workdir / results.RESULTS_FILE, {'i': 0})
  with pytest.raises(ValueError, match=r"different config.*\['b'\].*--overwrite"):
    results.prepare_workdir(workdir, {'a': 1, 'b': 3}, overwrite=False)
  results.prepare_workdir(workdir, {'a': 1, 'b': 3}, overwrite=True)
  assert results.read_records(workdir / results.RESULTS_FILE) == []
  assert json.loads((workdir / results.CONFIG_FILE).read_text()) == {'a': 1, 'b': 3}
