"""Sections of what the constraint costs and buys: counts, the dense cost and budgets (receptive
fields: `field_sections`; learned locality: `locality_section`)."""

import pathlib

import numpy as np

from lib.analysis import cost_figures, dense_cost
from lib.engine import summary
from lib.report.section import Section, read_json, read_records, require


def count(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The per-layer cost table the count experiment printed (count.json)."""
  del records
  data = read_json(workdir, 'count.json')
  title = f"{data['model']} on inputs {tuple(data['in_shape'])}"
  return Section(title, {'summary': data['table'] + '\n'})


def dense_cost_section(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """`lib.analysis.dense_cost.markdown` of the measured models; the dense-matrix figure."""
  config = dense_cost.Config(**read_json(workdir, 'config.json'))
  records = read_records(workdir) if records is None else records
  require(workdir, 'dense_matrices.npz')
  with np.load(workdir / 'dense_matrices.npz') as saved:
    panels = [(str(title), saved[f'w{i}']) for i, title in enumerate(saved['titles'])]
  title, _, body = dense_cost.markdown(records, config).partition('\n\n')
  return Section(title.removeprefix('# '), {'summary': body}, {
      'dense_matrices': lambda: cost_figures.dense_matrices(panels, title=dense_cost.FIGURE_TITLE)})


def budget_tables(rows: list[dict]) -> str:
  """One table per (dataset, kind): each cell's architecture, cost, runs (unconverged marked) and mean
  +- std test and train accuracy."""
  lines = []
  for dataset in dict.fromkeys(r['dataset'] for r in rows):
    for kind in dict.fromkeys(r['kind'] for r in rows):
      lines += [f'## {dataset}, budget of {kind}', '',
                '| shape | budget | family | depth | width | cost | runs | test accuracy (%) '
                '| train accuracy (%) |', '|---|---:|---|---:|---:|---:|---:|---:|---:|']
      for r in rows:
        if r['dataset'] != dataset or r['kind'] != kind:
          continue
        if r['depth'] is None:
          lines.append(f"| {r['shape']} | {r['budget']:,} | {r['family']} | - | - | - | 0 | "
                       'does not fit | - |')
          continue
        runs = f"{r['runs']}" + (f" ({r['unconverged']} unconverged*)" if r.get('unconverged') else '')
        lines.append(f"| {r['shape']} | {r['budget']:,} | {r['family']} | {r['depth']} | "
                     f"{r['width']} | {r['cost']:,} | {runs} | "
                     f"{summary.cell(r, 'test_accuracy')} | {summary.cell(r, 'train_accuracy')} |")
      lines.append('')
  if any(r.get('unconverged') for r in rows):
    lines.append('\\* below 98% train accuracy at the last step: not trained to convergence.\n')
  return '\n'.join(lines)


def budget(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The budget tables and figure, from budget.json (`budget_runs.rows`, n and the protocol)."""
  del records
  data = read_json(workdir, 'budget.json')
  rows, train = data['rows'], data['train']
  title = (f"Budgets: test and train accuracy at n = {data['n']} (Adam {train['learning_rate']} "
           f"{train.get('schedule', 'constant')}, "
           f"{train['steps']} steps, batch {train['batch_size']})")
  return Section(title, {'summary': budget_tables(rows)},
                 {'budget': lambda: cost_figures.budgets(rows)}, csv=rows)
