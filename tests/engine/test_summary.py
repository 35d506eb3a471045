"""summarize: means over runs that did not diverge, diverged runs counted."""

import math

import pytest

from lib.engine import summary


def _record(arch, n, acc, diverged=False):
  value = None if diverged else acc
  return {'arch': arch, 'n': n, 'diverged': diverged, 'test_accuracy': value,
          'train_accuracy': value, 'test_loss': value, 'train_loss': value}


def test_diverged_runs_are_counted_not_averaged(tmp_path):
  records = [_record('cnn', 50, 0.5), _record('cnn', 50, 0.7), _record('cnn', 50, 0, True),
             _record('fc', 50, 0.2)]
  rows = summary.summarize(records)
  cnn = rows[0]
  assert (cnn['arch'], cnn['runs'], cnn['diverged']) == ('cnn', 3, 1)
  assert cnn['test_accuracy_mean'] == pytest.approx(0.6)
  assert cnn['test_accuracy_std'] == pytest.approx(0.1)
  summary.write_csv(rows, tmp_path / 's.csv')
  assert (tmp_path / 's.csv').read_text().count('\n') == 3
  assert '| cnn | 50 | 3 | 1 | 60.0 +- 10.0 |' in summary.markdown_table(rows)


def test_all_diverged_gives_nan():
  (row,) = summary.summarize([_record('fc', 10, 0, True)])
  assert math.isnan(row['test_accuracy_mean'])
