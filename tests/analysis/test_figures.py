"""Every figure function builds a `matplotlib.figure.Figure` without pyplot and without switching the
backend, returns it, and writes the same bytes for the same data. Drawn in a fresh process, so that
nothing else imported pyplot first."""

import json
import pathlib
import re
import subprocess
import sys

from lib.report.state import REPOSITORY

DRAW_EVERY_FIGURE = r'''
import json, pathlib, sys
import matplotlib
import numpy as np
from matplotlib.figure import Figure
from lib.analysis import cost_figures, field_figures, locality_figure, plotting, theory_plots

rng = np.random.default_rng(0)
acc = lambda arch, n, **kw: {'arch': arch, 'n': n, 'test_accuracy_mean': 0.5, 'test_accuracy_std': 0.1,
                             'train_accuracy_mean': 0.9, **kw}
grid2 = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
shift_rows = [{'arch': a, 'accuracy_per_shift': rng.random(9), 'seen_accuracy_mean': 0.9,
               'seen_accuracy_std': 0.0, 'unseen_accuracy_mean': 0.2, 'unseen_accuracy_std': 0.1}
              for a in ('fc', 'cnn')]
line = {'sizes': [2, 4, 8], 'median': [4, 8, np.nan], 'low': [4, 4, np.nan], 'high': [8, 16, np.nan],
        'measured': 'slope 1', 'predicted_slope': 1.0}
depths = [2, 3]
fields = {d: rng.random((2, 9)) for d in depths}
widths = {name: {d: rng.random(2) + 1 for d in depths} for name in ('init', '10', '20')}
exponents = {name: rng.random(2) for name in widths}
fc = {'maps': rng.random((5, 9)), 'maps_init': rng.random((5, 9)), 'units': rng.random(10),
      'units_init': rng.random(10)}
facts = {'closed_form': [3, 5, 7, 9], 'composed': [3, 5, 7, 9], 'covering_depth': 4,
         'theory_exponent': 1.0}
fit = {'test_accuracy': 0.6, 'train_accuracy': 0.9, 'converged': False}
records = ([{'part': 'locality', 'arch': 'fc', 'shifted': s, 'n': n, 'seed': 0, 'locality': 0.3,
             'tying': 0.5, **fit} for s in (False, True) for n in (10, 20)]
           + [{'part': 'efcn', 'arch': a, 't': t, 'seed': 0, 'distance': 0.1, **fit}
              for a, t in (('efcn', 0), ('efcn', 4), ('fc_dense', 0))]
           + [{'part': 'beta_lasso', 'arch': 'fc_beta_lasso', 'beta': b, 'steps': 4, 'seed': 0,
               'locality': 0.4, 'zero_fraction': 0.5, 'rows': rng.random((16, 6, 5)).tolist(), **fit}
              for b in (1.0, 50.0)]
           + [{'part': 'beta_lasso', 'arch': 'fc_sgd', 'steps': 4, 'seed': 0, 'locality': 0.4,
               'zero_fraction': 0.0, 'rows': rng.random((5, 8)).tolist(), **fit}])
budget = [{'dataset': 'd', 'kind': k, 'family': f, 'shape': s, 'budget': b, 'runs': 1, 'width': 2,
           'depth': 2, 'test_accuracy_mean': 0.5, 'test_accuracy_std': 0.1}
          for k in ('params', 'macs') for f in ('fc', 'cnn') for s in ('widest', 'deepest')
          for b in (100, 1000)]
matrix = rng.normal(size=(6, 6))
matrix[0, 1] = np.nan
AGAIN = ('permutation', 'shift_accuracy_2d', 'sample_complexity')
BUILDERS = {
    'sample_efficiency': lambda: plotting.sample_efficiency([acc('fc', 10), acc('fc', 20)], title='t'),
    'permutation': lambda: plotting.permutation_bars([acc('fc', 10, permuted=False),
                                                      acc('fc', 10, permuted=True)], title='t'),
    'shift_accuracy_2d': lambda: plotting.shift_accuracy(shift_rows, grid2, grid2.max(1) == 0),
    'shift_accuracy_1d': lambda: plotting.shift_accuracy(
        [dict(shift_rows[0], accuracy_per_shift=[0.2, 0.9, 0.3])], np.array([[-1], [0], [1]]),
        np.array([False, True, False])),
    'seen_unseen': lambda: plotting.seen_unseen_bars(shift_rows, title='t'),
    'kernel_difference': lambda: theory_plots.kernel_difference({'p': {
        'widths': [2, 4], 'lines': [{'label': 'a', 'values': [0.2, 0.1]}],
        'levels': [{'label': 'exact', 'value': 0.05}]}}),
    'sample_complexity': lambda: theory_plots.sample_complexity({'p': {
        'xlabel': 'k', 'floor': 4, 'archs': {'fc': line}}}),
    'dense_matrices': lambda: cost_figures.dense_matrices([('W', matrix)] * 2, columns=2, title='t'),
    'budget': lambda: cost_figures.budgets(budget),
    'receptive_field': lambda: field_figures.receptive_fields(
        depths, fields, fields, facts, widths, exponents, fc, 5),
    'learned_locality': lambda: locality_figure.learned_locality(
        records, {'mlp': {'locality': 0.2, 'tying': 0.4}}),
}
out = pathlib.Path(sys.argv[1])
sizes = {}
for name, build in BUILDERS.items():
  figure = build()
  assert isinstance(figure, Figure), name
  plotting.save(figure, out / f'{name}_a.png')
  sizes[name] = (out / f'{name}_a.png').stat().st_size
for name in AGAIN:  # built again from the same data
  plotting.save(BUILDERS[name](), out / f'{name}_b.png')
print(json.dumps({'pyplot': 'matplotlib.pyplot' in sys.modules, 'backend': matplotlib.get_backend(),
                  'sizes': sizes}))
'''


def test_every_figure_is_a_figure_drawn_without_pyplot(tmp_path):
  done = subprocess.run([sys.executable, '-c', DRAW_EVERY_FIGURE, str(tmp_path)], cwd=REPOSITORY,
                        env={'PYTHONPATH': str(REPOSITORY), 'MPLBACKEND': 'svg', 'PATH': ''},
                        capture_output=True, text=True, timeout=120, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  report = json.loads(done.stdout.splitlines()[-1])
  assert report['pyplot'] is False
  assert report['backend'] == 'svg'  # the caller's backend, not switched to Agg
  assert len(report['sizes']) == 11 and min(report['sizes'].values()) > 1000
  for path in tmp_path.glob('*_b.png'):
    first = (tmp_path / path.name.replace('_b.png', '_a.png')).read_bytes()
    assert first == path.read_bytes(), path.name
    assert b'Software' not in first and b'matplotlib' not in first.lower(), path.name


def test_no_module_of_the_project_imports_pyplot_or_sets_a_backend():
  pattern = re.compile(r'^\s*(import matplotlib\.pyplot|from matplotlib import pyplot|'
                       r'from matplotlib\.pyplot import|matplotlib\.use\()', re.M)
  sources = [p for folder in ('lib', 'experiments') for p in (REPOSITORY / folder).rglob('*.py')]
  assert sources
  offenders = [str(p.relative_to(REPOSITORY)) for p in sources if pattern.search(p.read_text())]
  assert not offenders
