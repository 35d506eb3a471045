"""Per-group means and standard deviations of finished runs; diverged runs are counted, not averaged."""

import collections
import csv
import os

import numpy as np
from absl import logging

FIELDS = ('arch', 'n', 'runs', 'diverged', 'test_accuracy_mean', 'test_accuracy_std',
          'train_accuracy_mean', 'train_accuracy_std', 'test_loss_mean', 'train_loss_mean')


def summarize(records: list[dict], keys=('arch', 'n')) -> list[dict]:
  """One row per distinct value of `keys`: counts, and mean and std (over runs that did not diverge).

  Args:
    records: run records (`lib.engine.sweep.make_record`).
    keys: the record fields that define a group.

  Returns:
    Rows sorted by `keys`, with the fields of FIELDS (std is the population std, 0 for one run; means
    and stds are NaN when every run of the group diverged).
  """
  groups = collections.defaultdict(list)
  for record in records:
    groups[tuple(record[k] for k in keys)].append(record)
  rows = []
  for group_key, members in sorted(groups.items()):
    ok = [r for r in members if not r['diverged']]
    if len(ok) < len(members):
      logging.warning('%s: %d of %d runs diverged; excluded from the means.',
                      dict(zip(keys, group_key)), len(members) - len(ok), len(members))
    row = dict(zip(keys, group_key), runs=len(members), diverged=len(members) - len(ok))
    for metric in ('test_accuracy', 'train_accuracy', 'test_loss', 'train_loss'):
      values = np.array([r[metric] for r in ok], float)
      row[f'{metric}_mean'] = float(values.mean()) if ok else float('nan')
      row[f'{metric}_std'] = float(values.std()) if ok else float('nan')
    rows.append(row)
  return rows


def write_csv(rows: list[dict], path: os.PathLike) -> None:
  """Writes the rows' FIELDS as CSV."""
  with open(path, 'w', newline='', encoding='utf-8') as f:
    writer = csv.DictWriter(f, FIELDS, extrasaction='ignore')
    writer.writeheader()
    writer.writerows(rows)


def markdown_table(rows: list[dict]) -> str:
  """The rows as a Markdown table: accuracies in percent, mean +- std."""
  lines = ['| arch | n | runs | diverged | test accuracy (%) | train accuracy (%) |',
           '|---|---:|---:|---:|---:|---:|']
  for r in rows:
    lines.append(f"| {r['arch']} | {r['n']} | {r['runs']} | {r['diverged']} | "
                 f"{100 * r['test_accuracy_mean']:.1f} +- {100 * r['test_accuracy_std']:.1f} | "
                 f"{100 * r['train_accuracy_mean']:.1f} +- {100 * r['train_accuracy_std']:.1f} |")
  return '\n'.join(lines) + '\n'
