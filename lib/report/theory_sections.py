"""Sections that set measurements next to theory: NNGP kernels against width, and sample complexity
against input size."""

import pathlib

import numpy as np

from lib.analysis import kernel_sweep, theory_plots
from lib.engine import summary
from lib.report.section import Section, read_json, read_records



def kernel_difference_table(results: dict) -> str:
  """Relative differences of the Monte Carlo CNN and LCN kernels at each width, with slopes."""
  widths = results[next(iter(results))]['sweep']['widths']
  lines = ['## Relative difference of Monte Carlo kernels against width', '',
           '| dataset | pair | ' + ' | '.join(f'w={w}' for w in widths) +
           ' | log-log slope [95% CI] | exact (infinite width) |',
           '|---|---|' + '---:|' * (len(widths) + 2)]
  for spec, result in results.items():
    sweep = result['sweep']
    for name, (cnn, lcn) in kernel_sweep.PAIRS.items():
      slope, low, high = sweep[f'{name}_slope']
      values = ' | '.join(f'{v:.4f}' for v in sweep[f'{name}_difference'])
      lines.append(f'| {spec} | {cnn} vs {lcn} | {values} | {slope:.2f} [{low:.2f}, {high:.2f}] | '
                   f"{sweep[f'{name}_exact_difference']:.4f} |")
  return '\n'.join(lines) + '\n'


def kernel_accuracy_table(results: dict, trained: list[dict]) -> str:
  """Test accuracy of each exact kernel's regression; test and train accuracy of the trained finite
  networks, whose runs below the engine's 98% train accuracy are marked."""
  rows = summary.summarize(trained, keys=('dataset', 'arch')) if trained else []
  by_key = {(r['dataset'], r['arch']): r for r in rows}
  lines = ['## Test accuracy (%): kernel regression and trained networks', '',
           '| dataset | arch | NNGP kernel regression (exact) | trained network: runs | test | train |',
           '|---|---|---:|---:|---:|---:|']
  for spec, result in results.items():
    for arch, accuracy in result['regression'].items():
      row = by_key.get((spec, arch))
      if row is None:
        net = 'not trained | - | -'
      else:
        runs = f"{row['runs']}" + (f" ({row['unconverged']} unconverged*)" if row['unconverged']
                                   else '')
        net = f"{runs} | {summary.cell(row, 'test_accuracy')} | {summary.cell(row, 'train_accuracy')}"
      lines.append(f'| {spec} | {arch} | {100 * accuracy:.1f} | {net} |')
  if any(r['unconverged'] for r in rows):
    lines.append('\n\\* below 98% train accuracy at the last step: not trained to convergence.')
  return '\n'.join(lines) + '\n'


def kernel_panels(results: dict, depth: int, num_samples: int) -> dict:
  """`theory_plots.kernel_difference` panels, one per dataset."""
  panels = {}
  for spec, result in results.items():
    sweep = result['sweep']
    lines = []
    for name, (cnn, lcn) in kernel_sweep.PAIRS.items():
      slope, low, high = sweep[f'{name}_slope']
      lines.append({'label': f'MC {cnn} vs MC {lcn}: slope {slope:.2f} [{low:.2f}, {high:.2f}]',
                    'values': sweep[f'{name}_difference']})
    for arch in ('cnn_flatten', 'cnn_gap'):
      lines.append({'label': f'MC {arch} vs exact', 'values': sweep[f'{arch}_vs_exact'],
                    'style': 's:'})
    levels = [{'label': f"exact cnn_gap vs exact lcn_gap: {sweep['gap_exact_difference']:.3f}",
               'value': sweep['gap_exact_difference']}]
    panels[f'{spec}: {depth} hidden layers, {num_samples} draws per kernel'] = {
        'widths': sweep['widths'], 'lines': lines, 'levels': levels}
  return panels


def kernels(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """differences and accuracies, from kernels.json, settings.json and (if trained) trained/."""
  results, settings = read_json(workdir, 'kernels.json'), read_json(workdir, 'settings.json')
  if records is None:
    records = read_records(workdir / 'trained') if settings['train_width'] else []
  panels = kernel_panels(results, settings['depth'], settings['num_samples'])
  return Section('NNGP kernels of FC, LCN and CNN', {
      'differences': kernel_difference_table(results),
      'accuracies': kernel_accuracy_table(results, records)},
                 {'kernel_difference': lambda: theory_plots.kernel_difference(panels)})


def _fmt(value, digits=2) -> str:
  if value is None or not np.isfinite(value):
    return '-'
  return f'{round(value, digits) + 0.0:.{digits}f}'  # + 0.0: no '-0.00'


def _unconverged(entry: dict) -> str:
  """'k of N (lowest %)', or '-' for an analysis written before train accuracy was counted."""
  if 'unconverged' not in entry:
    return '-'
  lowest = entry['lowest_train_accuracy']
  return f"{entry['unconverged']} of {entry['runs']}" + (
      f' ({100 * lowest:.1f})' if lowest is not None else '')


def sample_complexity_table(analysis: dict) -> str:
  """n at the target per size (median [min, max] over seeds), the slopes, and the runs below the
  engine's 98% train accuracy (with the lowest train accuracy), per (task, arch)."""
  lines = ['| task | arch | target | smallest n per size: median [min, max] over seeds | '
           'measured slope [95% CI] | seeds | predicted slope (lower bound) | (upper bound) | '
           'runs below 98% train (lowest train %) |',
           '|---|---|---:|---|---:|---:|---:|---:|---:|']
  for entry in analysis.values():
    cells = []
    for p in entry['per_size']:
      text = '-' if p['median'] is None else f"{p['median']:.0f} [{p['low']:.0f}, {p['high']:.0f}]"
      if p['not_reached']:
        text += f" ({p['not_reached']} not reached)"
      if p['at_smallest_n']:
        text += f" ({p['at_smallest_n']} at the smallest n)"
      cells.append(f"{p['size']}: {text}")
    slope, low, high = entry['slope']
    lines.append(f"| {entry['task']} | {entry['arch']} | {entry['target']:.2f} | {'; '.join(cells)} | "
                 f"{_fmt(slope)} [{_fmt(low)}, {_fmt(high)}] | {entry['seeds_fitted']} | "
                 f"{_fmt(entry['predicted']['lower'])} | {_fmt(entry['predicted']['upper'])} | "
                 f"{_unconverged(entry)} |")
  return '\n'.join(lines) + '\n'


def sample_complexity_panels(analysis: dict, floor: int, dsd_d: int, dsd_k: int) -> dict:
  """`theory_plots.sample_complexity` panels; `floor` is the smallest n of the grid (crossings there
  are censored)."""
  labels = {'lza': 'lza: half-length d', 'dsd_k': f'dsd: patches k (d={dsd_d})',
            'dsd_d': f'dsd: patch dimension d (k={dsd_k})'}
  panels = {}
  for entry in analysis.values():
    panel = panels.setdefault(f"{entry['task']} (target {entry['target']:.2f})",
                              {'xlabel': labels[entry['task']], 'archs': {}, 'floor': floor})
    slope, low, high = entry['slope']
    prediction = entry['predicted']['lower']
    if prediction is None:
      prediction = entry['predicted']['upper']
    panel['archs'][entry['arch']] = {
        'sizes': [p['size'] for p in entry['per_size']],
        'median': [np.nan if p['median'] is None else p['median'] for p in entry['per_size']],
        'low': [np.nan if p['low'] is None else p['low'] for p in entry['per_size']],
        'high': [np.nan if p['high'] is None else p['high'] for p in entry['per_size']],
        'measured': f'slope {_fmt(slope)} [{_fmt(low)}, {_fmt(high)}]',
        'predicted_slope': prediction}
  return panels


def dimension_scaling(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The sample-complexity table and figure, from sample_complexity.json and config.json."""
  del records
  analysis, config = read_json(workdir, 'sample_complexity.json'), read_json(workdir, 'config.json')
  panels = sample_complexity_panels(analysis, min(config['sizes_n']), config['dsd_d'], config['dsd_k'])
  return Section('Smallest n reaching the target accuracy',
                 {'summary': sample_complexity_table(analysis)},
                 {'dimension_scaling': lambda: theory_plots.sample_complexity(panels)})
