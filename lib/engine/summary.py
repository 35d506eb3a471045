"""Per-group means and standard deviations of finished runs; diverged runs are counted, not averaged."""

import collections
import csv
import math
import os

import numpy as np
from absl import logging

METRICS = ('test_accuracy', 'train_accuracy', 'test_loss', 'train_loss')
PERCENT = ('accuracy', 'consistency')


def summarize(records: list[dict], keys=('arch', 'n'), metrics=METRICS) -> list[dict]:
  """One row per distinct value of `keys`: counts, and mean and std over runs that did not diverge.

  Args:
    records: run records (`lib.engine.experiment.make_record`).
    keys: the record fields that define a group.
    metrics: scalar record fields to average.

  Returns:
    Rows in order of first appearance, each with the `keys`, `runs`, `diverged`, `unconverged`
    (finished runs whose train accuracy stayed below the engine's threshold), and `{metric}_mean`,
    `{metric}_std` (population std; NaN when every run of the group diverged).
  """
  groups = collections.defaultdict(list)
  for record in records:
    groups[tuple(record[k] for k in keys)].append(record)
  rows = []
  for group_key, members in groups.items():
    ok = [r for r in members if not r['diverged']]
    if len(ok) < len(members):
      logging.warning('%s: %d of %d runs diverged; excluded from the means.',
                      dict(zip(keys, group_key)), len(members) - len(ok), len(members))
    row = dict(zip(keys, group_key), runs=len(members), diverged=len(members) - len(ok),
               unconverged=sum(r.get('converged') is False for r in ok))
    for metric in metrics:
      values = np.array([r[metric] for r in ok if r.get(metric) is not None], float)
      row[f'{metric}_mean'] = float(values.mean()) if values.size else float('nan')
      row[f'{metric}_std'] = float(values.std()) if values.size else float('nan')
    rows.append(row)
  return rows


def write_csv(rows: list[dict], path: os.PathLike) -> None:
  """Writes the rows as CSV, one column per field of the first row."""
  with open(path, 'w', newline='', encoding='utf-8') as f:
    writer = csv.DictWriter(f, list(rows[0]) if rows else [], extrasaction='ignore')
    writer.writeheader()
    writer.writerows(rows)


def cell(row: dict, metric: str) -> str:
  """`mean +- std` of a row's metric; accuracies and consistencies in percent; 'diverged' if NaN."""
  mean, std = row[f'{metric}_mean'], row[f'{metric}_std']
  if not math.isfinite(mean):
    return 'diverged'
  scale = 100 if any(word in metric for word in PERCENT) else 1
  return f'{scale * mean:.1f} +- {scale * std:.1f}' if scale == 100 else f'{mean:.3f} +- {std:.3f}'


def markdown_table(rows: list[dict], keys=('arch', 'n'),
                   metrics=('test_accuracy', 'train_accuracy')) -> str:
  """The rows as a Markdown table: keys, run counts, then mean +- std of each metric.

  A group with unconverged runs has its count marked with '*': it did not reach the engine's train
  accuracy threshold, so its comparison with converged groups does not hold.
  """
  names = [m.replace('_', ' ') + (' (%)' if any(w in m for w in PERCENT) else '') for m in metrics]
  lines = ['| ' + ' | '.join([*keys, 'runs', 'diverged', *names]) + ' |',
           '|' + '---|' * len(keys) + '---:|' * (2 + len(metrics))]
  for r in rows:
    runs = f"{r['runs']}" + (f" ({r['unconverged']} unconverged*)" if r['unconverged'] else '')
    lines.append('| ' + ' | '.join([*(str(r[k]) for k in keys), runs, str(r['diverged']),
                                    *(cell(r, m) for m in metrics)]) + ' |')
  if any(r['unconverged'] for r in rows):
    lines.append('\n\\* below 98% train accuracy at the last step: not trained to convergence.')
  return '\n'.join(lines) + '\n'


def write(rows: list[dict], workdir: os.PathLike, title: str, keys=('arch', 'n'),
          metrics=('test_accuracy', 'train_accuracy')) -> str:
  """Writes summary.csv and summary.md (a title and `markdown_table`) to `workdir`; returns the table."""
  write_csv(rows, os.path.join(workdir, 'summary.csv'))
  table = markdown_table(rows, keys, metrics)
  with open(os.path.join(workdir, 'summary.md'), 'w', encoding='utf-8') as f:
    f.write(f'# {title}\n\n{table}')
  return table
