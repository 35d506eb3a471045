"""The learned-locality section: its protocol, scores at initialisation, one table per part (train
accuracy beside test; groups with a run below the engine's 98% train accuracy marked)."""

import pathlib

from lib.analysis import locality_figure
from lib.engine import summary
from lib.report.section import Section, read_json, read_records

PARTS = {  # part: (identity keys, metrics) of its table
    'locality': (('arch', 'shifted', 'n'), ('test_accuracy', 'train_accuracy', 'locality', 'tying')),
    'efcn': (('arch', 't', 'n'), ('test_accuracy', 'train_accuracy', 'distance', 'locality', 'tying')),
    'beta_lasso': (('arch', 'beta', 'steps', 'n'), ('test_accuracy', 'train_accuracy', 'locality',
                                                    'zero_fraction')),
}
KEYS = ('part', 'arch', 'shifted', 'n', 't', 'beta', 'steps')
METRICS = ('test_accuracy', 'train_accuracy', 'locality', 'tying', 'distance', 'zero_fraction')
PROTOCOL_NOTE = {
    'cpu': 'Protocol `cpu`: the REDUCED CPU protocol (MNIST-1D for every part; eFCN by Adam, '
           'beta-LASSO on the MNIST-1D MLP), not the papers\' own; `--protocol=paper` runs theirs.',
    'paper': 'Protocol `paper`: the papers\' protocols as far as the flags go (deviations in '
             '`experiments/learned_locality.py`).',
}


def tables(records: list[dict], baseline: dict, config: dict) -> str:
  """The protocol line, the scores at init, then a table per part.

  Args:
    records: the runs.
    baseline: `{'mlp' | 'fc_dense': {'locality', 'tying', ...}}` at initialisation.
    config: the work directory's config (its protocol and datasets).
  """
  datasets = ', '.join(f'{part} on {name}' for part, name in config.get('datasets', {}).items())
  out = [PROTOCOL_NOTE[config.get('protocol', 'cpu')] + (f' Data: {datasets}.' if datasets else ''),
         '']
  at_init = [f"{name}: locality {s['locality']:.3f}, tying {s['tying']:.3f}"
             for name, s in baseline.items()]
  if at_init:
    out += ['First layers at initialisation (mean over units and 8 inits): ' + '; '.join(at_init)
            + '. A convolution scores 1 on both.', '']
  for part, (keys, metrics) in PARTS.items():
    mine = [{key: '' for key in keys} | r for r in records if r['part'] == part]
    if mine:
      table = summary.markdown_table(summary.summarize(mine, keys, metrics), keys, metrics)
      out += [f'## {part}', '', table]
  return '\n'.join(out)


def learned_locality(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The learned-locality tables and figure, from the records, config.json and baseline.json."""
  records = read_records(workdir) if records is None else records
  baseline = read_json(workdir, 'baseline.json')
  config = read_json(workdir, 'config.json')
  filled = [{key: '' for key in KEYS} | r for r in records]
  reduced = ' (REDUCED protocol)' if config.get('protocol', 'cpu') == 'cpu' else ''
  return Section(f'Learned locality{reduced}', {'summary': tables(records, baseline, config)},
                 {'learned_locality': lambda: locality_figure.learned_locality(records, baseline)},
                 csv=summary.summarize(filled, KEYS, METRICS))
