"""The emergence section: the IPR and locality of the fc committee on GP and NLGP inputs, their
NLGP / GP ratios per seed, and how fast the lcn and cnn committees learn the same task."""

import pathlib

import numpy as np

from lib.analysis import emergence_figures
from lib.engine import summary
from lib.report.section import Section, read_json, read_records

KEYS = ('arch', 'kind', 'gain')
METRICS = ('test_accuracy', 'train_accuracy', 'ipr', 'locality')


def final(records: list[dict]) -> list[dict]:
  """Records with `ipr` and `locality` as their values at the last evaluation point."""
  return [{**r, 'ipr': r['ipr'][-1], 'locality': r['locality'][-1]} if not r['diverged'] else r
          for r in records]


def ratios(records: list[dict], key: str) -> list[tuple[float, np.ndarray]]:
  """`(gain, [seeds])` per gain: the fc NLGP's final `key` over the GP's of the same seed."""
  last = {(r['kind'], r['gain'], r['seed']): r[key][-1] for r in records
          if r['arch'] == 'fc' and not r['diverged']}
  gains = sorted({g for k, g, _ in last if k == 'nlgp'})
  out = []
  for gain in gains:
    seeds = sorted(s for k, g, s in last if k == 'nlgp' and g == gain and ('gp', g, s) in last)
    if seeds:
      out.append((gain, np.array([last['nlgp', gain, s] / last['gp', gain, s] for s in seeds])))
  return out


def ratio_table(records: list[dict]) -> str:
  """NLGP / GP ratios of the fc committee's final IPR and locality score, per gain."""
  lines = ['| gain | seeds | IPR ratio NLGP / GP | min | locality ratio NLGP / GP | min |',
           '|---:|---:|---:|---:|---:|---:|']
  for (gain, ipr), (_, loc) in zip(ratios(records, 'ipr'), ratios(records, 'locality')):
    lines.append(f'| {gain:g} | {len(ipr)} | {ipr.mean():.2f} +- {ipr.std():.2f} | {ipr.min():.2f} '
                 f'| {loc.mean():.2f} +- {loc.std():.2f} | {loc.min():.2f} |')
  return '\n'.join(lines) + '\n'


def speed_table(records: list[dict], size: int) -> str:
  """Mean test accuracy of each arch and kind at every evaluation time, at the largest gain."""
  gain = max(r['gain'] for r in records)
  chosen = [r for r in records if r['gain'] == gain and not r['diverged']]
  steps = chosen[0]['curves']['step']
  lines = [f'Test accuracy (%) along training at gain {gain:g}, mean over seeds; time in steps / D:',
           '', '| arch | kind | ' + ' | '.join(f'{s / size:g}' for s in steps) + ' |',
           '|---|---|' + '---:|' * len(steps)]
  for arch in dict.fromkeys(r['arch'] for r in chosen):
    for kind in dict.fromkeys(r['kind'] for r in chosen):
      runs = [r['curves']['test_accuracy'] for r in chosen if r['arch'] == arch and r['kind'] == kind]
      if runs:
        lines.append(f'| {arch} | {kind} | ' + ' | '.join(f'{100 * v:.1f}' for v in
                                                         np.mean(runs, 0)) + ' |')
  return '\n'.join(lines) + '\n'


def emergence(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """Tables and figures from the records, config.json and baseline.json."""
  records = read_records(workdir) if records is None else records
  config, baseline = read_json(workdir, 'config.json'), read_json(workdir, 'baseline.json')
  size, gain = config['input_size'], max(r['gain'] for r in records)
  rows = summary.summarize(final(records), KEYS, METRICS)
  note = (f"D = {size}, xi = {tuple(config['xis'])}, K = {config['hidden']}, time "
          f"{config['train']['steps'] // size} x D steps of batch 1; locality window "
          f"{config['window']}; at initialisation IPR {baseline['ipr']:.3f}, locality "
          f"{baseline['locality']:.3f}. The classes overlap, so most runs stay below the engine's 98% "
          "mark ('*'): online training runs for its fixed time, as in the paper.")
  table = summary.markdown_table(rows, KEYS, METRICS)
  return Section(
      'Where locality comes from (Ingrosso and Goldt\'s GP / NLGP task)',
      {'summary': f'{note}\n\n{table}\n{ratio_table(records)}\n{speed_table(records, size)}'},
      {'emergence_weights': lambda: emergence_figures.weights(records, gain),
       'emergence_gain': lambda: emergence_figures.against_gain(records, baseline),
       'emergence_time': lambda: emergence_figures.against_time(records, gain, size)},
      csv=rows)
