"""The receptive-field section: field widths at each run's own initialisation and after each training
length, beside train and test accuracy, with the fitted exponents and the MLP's map locality."""

import pathlib

import numpy as np

from lib.analysis import field_figures, field_growth
from lib.analysis import receptive_field as rf
from lib.engine import summary
from lib.report.section import MissingData, Section, read_json, read_records

RF_METRICS = ('test_accuracy', 'train_accuracy', 'erf_width_init', 'erf_width', 'erf_growth')
FC_METRICS = ('test_accuracy', 'train_accuracy', 'locality_init', 'locality')


def _pm(values, fmt='.2f') -> str:
  values = np.asarray(values, float)
  return f'{values.mean():{fmt}} +- {values.std():{fmt}}' if values.size else '-'


def receptive_field_tables(facts: dict, records: list[dict], saved: dict) -> str:
  """Theory per depth; per (depth, length) accuracies and field widths (at the run's own init, trained,
  their ratio); the fitted exponents per length; the MLP's map locality. `records`: annotated."""
  depths, size, window = saved['depths'], saved['size'], saved['fc_window']
  lines = ['| depth | theoretical extent (masks) | closed form |', '|---:|---:|---:|']
  lines += [f"| {d} | {facts['composed'][d - 1]} | {facts['closed_form'][d - 1]} |" for d in depths]
  cnn = [r for r in records if r['arch'] == 'cnn']
  lines += ['', f"## Conv stacks, {saved['width']} channels, n = {saved['n']}: effective field width "
            "(positions) at each run's own initialisation and after training", '',
            summary.markdown_table(summary.summarize(cnn, ('depth', 'steps'), RF_METRICS),
                                   ('depth', 'steps'), RF_METRICS)]
  exponents = saved['exponents']
  lines.append('Fitted exponent a of ERF width ~ depth^a (mean +- std over seeds): at init '
               f"{_pm(exponents['init'])}; " + '; '.join(
                   f"after {s} steps {_pm(exponents[str(s)])}" for s in saved['lengths']) +
               f"; the theoretical field's width: {facts['theory_exponent']:.2f}.")
  lines += ['', f"The central unit's theoretical field covers all {size} positions from depth "
            f"{facts['covering_depth']} (closed form: {facts['covering_depth_closed_form']}). The "
            f"paper CNN's layers see {facts['paper_cnn_extent']} positions (closed form "
            f"{facts['paper_cnn_closed_form']}): its last layer "
            f"{'covers' if facts['paper_cnn_covers'] else 'does not cover'} the input.", '',
            f"## FC (paper MLP), second hidden layer: share of each unit's gradient mass inside its "
            f'best {window}-position window (a uniform map gives {window / size:.2f})', '',
            summary.markdown_table(summary.summarize([r for r in records if r['arch'] == 'fc'],
                                                     ('steps',), FC_METRICS), ('steps',), FC_METRICS)]
  return '\n'.join(lines)


def receptive_field(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The receptive-field tables and figure, from receptive_field.json (settings, exponents),
  init_fields.json (theory, the runs' fields at initialisation) and the records (trained fields)."""
  records = read_records(workdir) if records is None else records
  saved, init = read_json(workdir, 'receptive_field.json'), read_json(workdir, 'init_fields.json')
  if 'exponents' not in saved or 'seeds' not in init:
    raise MissingData(workdir, ['exponents in receptive_field.json', 'seeds in init_fields.json'])
  depths, lengths, window = saved['depths'], saved['lengths'], saved['fc_window']
  annotated = field_growth.annotate(records, init, window)
  facts = dict(init['theory'], theory_exponent=rf.fit_exponent(depths, rf.uniform_width(
      [init['theory']['closed_form'][d - 1] for d in depths])))
  cnn = [r for r in annotated if r['arch'] == 'cnn' and 'erf_width' in r]
  longest = max(lengths)
  widths = {'init': {d: [r['erf_width_init'] for r in cnn if r['depth'] == d and r['steps'] == longest]
                     for d in depths},
            **{str(s): {d: [r['erf_width'] for r in cnn if r['depth'] == d and r['steps'] == s]
                        for d in depths} for s in lengths}}
  fields = {d: np.asarray(init['fields'][str(d)], float) for d in depths}
  trained = {d: np.array([r['erf'] for r in cnn if r['depth'] == d and r['steps'] == longest])
             for d in depths}
  fc = [r for r in records if r['arch'] == 'fc' and r['steps'] == longest and r.get('unit_maps')]
  fc_init = np.asarray(init['fc_maps'], float)
  maps = {'maps': fc[0]['unit_maps'] if fc else fc_init[0], 'maps_init': fc_init[0],
          'units': np.concatenate([field_growth.map_locality(r['unit_maps'], window) for r in fc])
          if fc else np.zeros(0), 'units_init': field_growth.map_locality(fc_init, window).ravel()}
  title = f"Receptive fields of 3-tap conv stacks (MNIST-1D, {saved['size']} positions)"
  rows = summary.summarize(cnn, ('arch', 'depth', 'steps'), RF_METRICS)
  return Section(title, {'summary': receptive_field_tables(facts, annotated, saved)},
                 {'receptive_field': lambda: field_figures.receptive_fields(
                     depths, fields, trained, facts, widths, saved['exponents'], maps, window)},
                 csv=rows)
