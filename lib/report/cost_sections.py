"""Sections of what the constraint costs and buys: counts, the dense cost, budgets, receptive fields and
learned locality."""

import pathlib

import numpy as np

from lib.analysis import cost_figures, dense_cost
from lib.engine import summary
from lib.report.section import MissingData, Section, read_json, read_records, require


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
  """One table per (dataset, kind): each cell's architecture, cost and mean +- std test accuracy."""
  lines = []
  for dataset in dict.fromkeys(r['dataset'] for r in rows):
    for kind in dict.fromkeys(r['kind'] for r in rows):
      lines += [f'## {dataset}, budget of {kind}', '',
                '| shape | budget | family | depth | width | cost | runs | test accuracy (%) |',
                '|---|---:|---|---:|---:|---:|---:|---:|']
      for r in rows:
        if r['dataset'] != dataset or r['kind'] != kind:
          continue
        if r['depth'] is None:
          lines.append(f"| {r['shape']} | {r['budget']:,} | {r['family']} | - | - | - | 0 | "
                       'does not fit |')
          continue
        lines.append(f"| {r['shape']} | {r['budget']:,} | {r['family']} | {r['depth']} | "
                     f"{r['width']} | {r['cost']:,} | {r['runs']} | "
                     f"{summary.cell(r, 'test_accuracy')} |")
      lines.append('')
  return '\n'.join(lines)


def budget(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The budget tables and figure, from budget.json (`experiments.budget.rows`, n and protocol)."""
  del records
  data = read_json(workdir, 'budget.json')
  rows, train = data['rows'], data['train']
  title = (f"Budgets: test accuracy at n = {data['n']} (Adam {train['learning_rate']}, "
           f"{train['steps']} steps, batch {train['batch_size']})")
  return Section(title, {'summary': budget_tables(rows)},
                 {'budget': lambda: cost_figures.budgets(rows)}, csv=rows)


def _pm(values, fmt='.2f') -> str:
  values = np.asarray(values, float)
  return f'{values.mean():{fmt}} +- {values.std():{fmt}}'


def receptive_field_tables(facts: dict, result: dict, depths, size: int, window: int) -> str:
  """The per-depth table of field extents and widths, then the fitted exponents and the FC's locality."""
  lines = ['| depth | theoretical extent (masks) | closed form | ERF width at init | ERF width trained '
           '| test accuracy (%) |', '|---:|---:|---:|---:|---:|---:|']
  for d in depths:
    lines.append(f"| {d} | {facts['composed'][d - 1]} | {facts['closed_form'][d - 1]} | "
                 f"{_pm(result['width_init'][d])} | {_pm(result['width_trained'][d])} | "
                 f"{_pm(100 * result['accuracy'][d], '.1f')} |")
  lines += ['', f"Fitted exponent a of ERF width ~ depth^a (mean +- std over seeds): at init "
            f"{_pm(result['exponent_init'])}, trained {_pm(result['exponent_trained'])}; the "
            f"theoretical field's width: {result['theory_exponent']:.2f}.", '',
            f"The central unit's theoretical field covers all {size} positions from depth "
            f"{facts['covering_depth']} (closed form: {facts['covering_depth_closed_form']}). The "
            f"paper CNN's layers see {facts['paper_cnn_extent']} positions (closed form "
            f"{facts['paper_cnn_closed_form']}): its last layer "
            f"{'covers' if facts['paper_cnn_covers'] else 'does not cover'} the input.", '',
            f"FC (paper MLP) second hidden layer: share of each unit's gradient mass inside its best "
            f"{window}-position window: trained {_pm(result['fc_locality'])}, at init "
            f"{_pm(result['fc_locality_init'])} (a uniform map gives {window / size:.2f}); test "
            f"accuracy {_pm(100 * result['fc_accuracy'], '.1f')}%."]
  return '\n'.join(lines) + '\n'


def _per_depth(values: dict) -> dict[int, np.ndarray]:
  return {int(depth): np.asarray(v, float) for depth, v in values.items()}


def receptive_field(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The receptive-field table and figure, from receptive_field.json (the analysis), init_fields.json
  (theory, fields at initialisation) and the records (trained fields, the MLP's unit maps)."""
  records = read_records(workdir) if records is None else records
  saved, init = read_json(workdir, 'receptive_field.json'), read_json(workdir, 'init_fields.json')
  if 'fc_maps' not in init:
    raise MissingData(workdir, ['fc_maps in init_fields.json'])
  depths, size = saved['depths'], saved['size']
  result = {k: _per_depth(v) if isinstance(v, dict) else np.asarray(v, float) if isinstance(v, list)
            else v for k, v in saved['analysis'].items()}
  facts, fields = init['theory'], _per_depth(init['fields'])
  trained = {d: np.array([r['erf'] for r in records if r['arch'] == 'cnn' and r['depth'] == d])
             for d in depths}
  fc_maps = np.array([r['unit_maps'] for r in records if r['arch'] == 'fc'])
  fc_init = np.asarray(init['fc_maps'], float)
  title = f"Receptive fields of 3-tap conv stacks (MNIST-1D, {size} positions)"
  return Section(title, {'summary': receptive_field_tables(facts, result, depths, size,
                                                           saved['fc_window'])},
                 {'receptive_field': lambda: cost_figures.receptive_fields(
                     depths, fields, trained, facts, result, fc_maps, fc_init)})


LOCALITY_PARTS = {  # part: (identity keys, metrics) of its table
    'locality': (('arch', 'shifted', 'n'), ('test_accuracy', 'train_accuracy', 'locality', 'tying')),
    'efcn': (('arch', 't', 'n'), ('test_accuracy', 'train_accuracy', 'distance', 'locality',
                                  'tying')),
    'beta_lasso': (('arch', 'steps', 'n'), ('test_accuracy', 'train_accuracy', 'locality',
                                            'zero_fraction')),
}
LOCALITY_KEYS = ('part', 'arch', 'shifted', 'n', 't', 'steps')
LOCALITY_METRICS = ('test_accuracy', 'train_accuracy', 'locality', 'tying', 'distance',
                    'zero_fraction')


def learned_locality_tables(records: list[dict], baseline: dict) -> str:
  """The scores at initialisation, then one table per part that ran."""
  out = [f"Baselines at initialisation (mean over units and inits): MLP first layer locality "
         f"{baseline['mlp']['locality']:.3f}, tying {baseline['mlp']['tying']:.3f}; dense FC "
         f"first layer locality {baseline['fc_dense']['locality']:.3f}, tying "
         f"{baseline['fc_dense']['tying']:.3f}. A convolution scores 1 on both.", '']
  for part, (keys, names) in LOCALITY_PARTS.items():
    mine = [r for r in records if r['part'] == part]
    if mine:
      out += [f'## {part}', '', summary.markdown_table(summary.summarize(mine, keys, names), keys,
                                                       names)]
  return '\n'.join(out)


def learned_locality(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The learned-locality tables and figure, from the records and baseline.json."""
  records = read_records(workdir) if records is None else records
  baseline = read_json(workdir, 'baseline.json')
  filled = [{key: '' for key in LOCALITY_KEYS} | r for r in records]
  return Section('Learned locality (MNIST-1D)',
                 {'summary': learned_locality_tables(records, baseline)},
                 {'learned_locality': lambda: cost_figures.learned_locality(records, baseline)},
                 csv=summary.summarize(filled, LOCALITY_KEYS, LOCALITY_METRICS))
