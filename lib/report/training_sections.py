"""Sections of the training sweeps: sample efficiency, pixel permutation, shift generalization."""

import pathlib

import numpy as np

from lib.analysis import plotting, shift_eval
from lib.data import shift_grid, split_seen_unseen
from lib.engine import protocols, summary
from lib.report.section import Section, read_json, read_records

# unseen_over_seen_accuracy: the share of its seen-shift accuracy a run keeps at unseen shifts.
SHIFT_METRICS = ('train_accuracy', 'seen_accuracy', 'unseen_accuracy', 'unseen_over_seen_accuracy',
                 'consistency')
# Greydanus and Kobak, MNIST-1D: test accuracy (%) in their README ('paper') and at the last step of
# their own notebook ('notebook'), without and with one fixed permutation of the 40 positions. The
# README's MLP 68% is not reproduced by that notebook (greydanus/mnist1d issue 17).
PAPER = {'cnn': {'paper': 94, 'notebook': 92.3, 'paper_permuted': 56, 'notebook_permuted': 58.7},
         'fc': {'paper': 68, 'notebook': 65.1, 'paper_permuted': 68, 'notebook_permuted': 66.0}}


def by_n_table(rows: list[dict]) -> str:
  """Test accuracy (%, mean +- std over seeds) with one line per architecture and a column per n; a
  cell says how many of its runs diverged (all diverged: 'diverged')."""
  sizes = sorted({r['n'] for r in rows})
  cells = {(r['arch'], r['n']): r for r in rows}
  lines = ['| arch | ' + ' | '.join(f'n = {n}' for n in sizes) + ' |',
           '|---|' + '---:|' * len(sizes)]
  for arch in dict.fromkeys(r['arch'] for r in rows):
    values = []
    for n in sizes:
      row = cells.get((arch, n))
      if not row:
        values.append('-')
        continue
      mark = ('*' if row['unconverged'] else '') + (f" ({row['diverged']} of {row['runs']} diverged)"
                                                    if 0 < row['diverged'] < row['runs'] else '')
      values.append(summary.cell(row, 'test_accuracy') + mark)
    lines.append(f'| {arch} | ' + ' | '.join(values) + ' |')
  if any(r['unconverged'] for r in rows):
    lines.append('\n\\* some runs below 98% train accuracy at the last step.')
  if any(0 < r['diverged'] < r['runs'] for r in rows):
    lines.append('\nDiverged runs (a loss became NaN or infinite) are left out of the mean.')
  return '\n'.join(lines) + '\n'


def sample_efficiency(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """summary: runs and mean +- std accuracies per (arch, n); by_n: test accuracy against n."""
  config = read_json(workdir, 'config.json')
  records = read_records(workdir) if records is None else records
  title = config['dataset'] + (' (permuted positions)' if config.get('permute_pixels') else '')
  rows = summary.summarize(records)
  return Section(title, {'summary': summary.markdown_table(rows), 'by_n': by_n_table(rows)},
                 {'sample_efficiency': lambda: plotting.sample_efficiency(rows, title=title)},
                 csv=rows)


def _train_cell(row: dict) -> str:
  """Train accuracy (%), with '*' and the count when some of the row's runs did not converge."""
  mark = f" ({row['unconverged']} unconverged*)" if row['unconverged'] else ''
  return summary.cell(row, 'train_accuracy') + mark


def drop_table(rows: list[dict]) -> str:
  """A Markdown table, one line per (arch, n): train and test accuracy without and with the
  permutation, and the test accuracy drop, in percent (mean +- std over seeds); train accuracies
  of groups with unconverged runs are marked."""
  by_key = {(r['arch'], r['n'], r['permuted']): r for r in rows}
  lines = ['| arch | n | runs | train acc (%) | test acc (%) | permuted train acc (%) | '
           'permuted test acc (%) | test drop (points) |', '|---|---:|---:|---:|---:|---:|---:|---:|']
  for arch, n in dict.fromkeys((r['arch'], r['n']) for r in rows):
    plain, perm = by_key.get((arch, n, False)), by_key.get((arch, n, True))
    if plain is None or perm is None:
      continue
    drop = 100 * (plain['test_accuracy_mean'] - perm['test_accuracy_mean'])
    lines.append(f"| {arch} | {n} | {plain['runs']} | {_train_cell(plain)} | "
                 f"{summary.cell(plain, 'test_accuracy')} | {_train_cell(perm)} | "
                 f"{summary.cell(perm, 'test_accuracy')} | {drop:.1f} |")
  if any(r['unconverged'] for r in rows):
    lines.append('\n\\* below 98% train accuracy at the last step: not trained to convergence.')
  return '\n'.join(lines) + '\n'


def _with_best(record: dict) -> dict:
  """The record with `best_test_accuracy`: its highest test accuracy over the evaluations."""
  curve = [v for v in record['curves']['test_accuracy'] if v is not None]
  return dict(record, best_test_accuracy=None if record['diverged'] or not curve else max(curve))


def paper_table(records: list[dict]) -> str:
  """MNIST-1D against the paper: final-step and best-evaluation test accuracy without and with the
  permutation, next to the paper's README and its notebook (`PAPER`), at the largest n."""
  n = max(r['n'] for r in records)
  rows = summary.summarize([_with_best(r) for r in records if r['n'] == n],
                           keys=('arch', 'permuted'), metrics=('test_accuracy', 'best_test_accuracy'))
  by_key = {(r['arch'], r['permuted']): r for r in rows}
  every = max(r['protocol']['eval_every'] for r in records)
  lines = [f'| arch | runs | test acc, last step (%) | best evaluation (%) | paper | paper\'s notebook '
           f'| permuted: last step | permuted: best | paper | paper\'s notebook |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
  for arch in dict.fromkeys(r['arch'] for r in rows):
    cited = PAPER.get(arch, {})
    cells = [str(by_key[(arch, False)]['runs']) if (arch, False) in by_key else '0']
    for permuted, suffix in ((False, ''), (True, '_permuted')):
      row = by_key.get((arch, permuted))
      cells += [summary.cell(row, m) if row else '-' for m in ('test_accuracy', 'best_test_accuracy')]
      cells += [f'{cited[k]:g}' if k in cited else 'none' for k in (f'paper{suffix}',
                                                                     f'notebook{suffix}')]
    lines.append(f'| {arch} | ' + ' | '.join(cells) + ' |')
  lines += ['', f'n = {n}, mean +- std over seeds. Best evaluation: the highest of the test accuracies '
            f'measured every {every} steps (chosen on the test set, so optimistic). Paper: Greydanus '
            f'and Kobak\'s MNIST-1D README; notebook: the last step logged by their own notebook, '
            f'which does not reproduce the README\'s MLP 68% either (greydanus/mnist1d issue 17).']
  return '\n'.join(lines) + '\n'


def permutation(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """summary: the accuracy drop per (arch, n); paper (MNIST-1D only): against the paper."""
  config = read_json(workdir, 'config.json')
  records = read_records(workdir) if records is None else records
  title = f"{config['dataset']}: one fixed pixel permutation"
  rows = summary.summarize(records, keys=('arch', 'n', 'permuted'))
  tables = {'summary': drop_table(rows)}
  if protocols.is_paper(config['dataset']):
    tables['paper'] = paper_table(records)
  return Section(title, tables, {'permutation': lambda: plotting.permutation_bars(rows, title=title)},
                 csv=rows)


def ring_table(scored: list[dict], shifts: np.ndarray) -> str:
  """Test accuracy (%, mean +- std over seeds) per (arch, n) at each ring of shifts (ring r: the
  shifts whose largest |component| is r), from the runs that did not diverge."""
  rings = int(np.abs(shifts).max())
  lines = ['| arch | n | ' + ' | '.join(f'ring {r}' for r in range(rings + 1)) + ' |',
           '|---|---|' + '---:|' * (rings + 1)]
  for arch, n in dict.fromkeys((r['arch'], r['n']) for r in scored):
    mine = [shift_eval.ring_accuracy(r['accuracy_per_shift'], shifts) for r in scored
            if (r['arch'], r['n']) == (arch, n) and not r['diverged']]
    cells = ([f'{100 * m:.1f} +- {100 * s:.1f}' for m, s in zip(np.mean(mine, 0), np.std(mine, 0))]
             if mine else ['diverged'] * (rings + 1))
    lines.append(f'| {arch} | {n} | ' + ' | '.join(cells) + ' |')
  return '\n'.join(lines) + '\n'


def shift_generalization(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """summary: train, seen-shift and unseen-shift accuracy and consistency per (arch, n); by_ring:
  accuracy per ring of shifts; figures: accuracy at every shift, and seen against unseen."""
  config = read_json(workdir, 'config.json')
  records = read_records(workdir) if records is None else records
  circular = protocols.is_paper(config['dataset'])
  shifts = shift_grid(config['max_shift'], 1 if circular else 2)
  seen, _ = split_seen_unseen(shifts, config['rule'], config['radius'])
  is_seen = shift_eval.seen_mask(shifts, seen)
  scored = []
  for record in records:
    if record['diverged']:
      scored.append(dict(record, seen_accuracy=None, unseen_accuracy=None,
                         unseen_over_seen_accuracy=None))
      continue
    per_shift = np.array(record['accuracy_per_shift'], float)
    seen_accuracy, unseen_accuracy = per_shift[is_seen].mean(), per_shift[~is_seen].mean()
    scored.append(dict(record, seen_accuracy=float(seen_accuracy),
                       unseen_accuracy=float(unseen_accuracy),
                       unseen_over_seen_accuracy=float(unseen_accuracy / seen_accuracy)
                       if seen_accuracy > 0 else None))
  rows = summary.summarize(scored, metrics=SHIFT_METRICS)
  title = (f"{config['dataset']}: trained at {config['rule']} radius {config['radius']}, tested at "
           f"shifts up to {config['max_shift']}")
  drawn = []
  for row in rows:
    mine = [r for r in scored if (r['arch'], r['n']) == (row['arch'], row['n']) and not r['diverged']]
    drawn.append(dict(row, accuracy_per_shift=(
        np.mean([r['accuracy_per_shift'] for r in mine], 0) if mine else np.full(len(shifts), np.nan))))
  if len(config['sizes']) > 1:
    drawn = [dict(r, arch=f"{r['arch']} n={r['n']}") for r in drawn]
  tables = {'summary': summary.markdown_table(rows, metrics=SHIFT_METRICS),
            'by_ring': ring_table(scored, shifts)}
  return Section(title, tables, {
      'shift_accuracy': lambda: plotting.shift_accuracy(drawn, shifts, is_seen, title=title),
      'seen_unseen': lambda: plotting.seen_unseen_bars(drawn, title=title)}, csv=rows)
