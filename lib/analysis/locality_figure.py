"""The learned-locality figure: first-layer scores of FC nets against n, relax time and steps, the rows
beta-LASSO and SGD learn, and train beside test accuracy of every arm."""

import os

import numpy as np
from matplotlib.figure import Figure

from lib.analysis.field_figures import sorted_maps
from lib.analysis.plotting import save


def mean_std(records: list[dict], x_key: str, y_key: str):
  """`(x, mean, std)` of `y_key` over records grouped by `x_key`, sorted by x."""
  xs = sorted({r[x_key] for r in records})
  values = [[r[y_key] for r in records if r[x_key] == x and r.get(y_key) is not None] for x in xs]
  return (np.array(xs, float), np.array([np.mean(v) for v in values]),
          np.array([np.std(v) for v in values]))


def band(ax, x, mean, std, label, style='o-', color=None):
  """A line with a shaded band of +- std."""
  line, = ax.plot(x, mean, style, label=label, color=color)
  ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2)
  return line


def rows_image(ax, rows: np.ndarray, title: str) -> None:
  """First-layer rows: `[units, positions]` as |w| per unit sorted by peak, or `[units, H, W]` maps
  tiled four to a row."""
  rows = np.abs(np.asarray(rows, float))
  if rows.ndim == 2:
    ax.imshow(sorted_maps(rows), aspect='auto', cmap='viridis', interpolation='nearest')
    ax.set_xlabel('input position')
    ax.set_ylabel('first-layer unit (sorted by peak)')
  else:
    units, height, width = rows.shape
    per_row = 4
    tiles = np.full((-(-units // per_row) * (height + 1), per_row * (width + 1)), np.nan)
    for i, unit in enumerate(rows):
      top, left = (i // per_row) * (height + 1), (i % per_row) * (width + 1)
      tiles[top:top + height, left:left + width] = unit / max(unit.max(), 1e-30)
    ax.imshow(tiles, cmap='viridis', interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])
  ax.set_title(title, fontsize='small')


def _accuracy_bars(ax, arms: list[tuple[str, list[dict]]]) -> None:
  """Test and train accuracy (mean +- std) per arm; arms with an unconverged run hatched."""
  arms = [(name, rows) for name, rows in arms if rows]
  x = np.arange(len(arms))
  for offset, metric, color in ((-0.2, 'test_accuracy', 'tab:blue'),
                                (0.2, 'train_accuracy', 'tab:orange')):
    values = [[100 * r[metric] for r in rows] for _, rows in arms]
    bars = ax.bar(x + offset, [np.mean(v) for v in values], 0.4, yerr=[np.std(v) for v in values],
                  capsize=3, color=color, label=metric.replace('_', ' '))
    for bar, (_, rows) in zip(bars, arms):
      if any(r.get('converged') is False for r in rows):
        bar.set_hatch('//')
  ax.set_xticks(x, [name for name, _ in arms], fontsize='x-small', rotation=20)
  ax.set_ylabel('accuracy (%); hatched: a run did not converge')
  ax.legend(fontsize='x-small', loc='lower right')


def learned_locality(records: list[dict], baseline: dict, path: os.PathLike | None = None) -> Figure:
  """Locality vs n (with/without shifts), eFCN accuracy and distance vs t, beta-LASSO vs steps, the
  learned rows and every arm's accuracy.

  Args:
    records: `experiments.learned_locality` records, `converged` judged by
      `lib.analysis.learned_locality.judged`.
    baseline: first-layer scores at initialisation (`{'mlp': {...}, 'fc_dense': {...}}`, either may
      be absent).
    path: the image file to write, or None.
  """
  fig = Figure(figsize=(15, 8.4), layout='tight')
  axes = fig.subplots(2, 3)
  part = lambda name, arch=None: [r for r in records if r['part'] == name
                                  and (arch is None or r['arch'] == arch)]
  ax = axes[0, 0]
  for shifted in (False, True):
    mine = [r for r in part('locality') if r['shifted'] == shifted]
    if mine:
      tag, dash = (' (shift-augmented)', '--') if shifted else ('', '-')
      band(ax, *mean_std(mine, 'n', 'locality'), f'locality{tag}', 'o' + dash)
      band(ax, *mean_std(mine, 'n', 'tying'), f'tying{tag}', 's' + dash)
  for name, style in (('locality', 'grey'), ('tying', 'black')):
    if 'mlp' in baseline:
      ax.axhline(baseline['mlp'][name], color=style, ls=':', label=f'{name} at init')
  ax.set_xscale('log')
  ax.set(xlabel='training examples n', ylabel='score (1 = a convolution)')
  ax.set_title('MLP first layer: locality and tying', fontsize='small')
  ax.legend(fontsize='x-small', loc='center right')
  ax = axes[0, 1]
  efcn, fc = part('efcn', 'efcn'), part('efcn', 'fc_dense')
  if efcn:
    for metric, style in (('test_accuracy', 'o-'), ('train_accuracy', 'o:')):
      x, mean, std = mean_std(efcn, 't', metric)
      band(ax, x, 100 * mean, 100 * std, f"eFCN {metric.split('_')[0]} (t = last: the CNN)", style)
    if fc:
      acc = 100 * np.array([r['test_accuracy'] for r in fc])
      ax.axhspan(acc.mean() - acc.std(), acc.mean() + acc.std(), color='grey', alpha=0.3)
      ax.axhline(acc.mean(), color='grey', label='dense twin from its own init, test')
    ax.set_xscale('symlog', linthresh=max(1.0, float(np.min(x[x > 0])) if (x > 0).any() else 1.0))
    ax.set(xlabel='relax time t (steps trained as the CNN)', ylabel='accuracy (%)')
    twin = ax.twinx()
    band(twin, *mean_std(efcn, 't', 'distance'), 'distance from the CNN subspace', 's--', 'tab:red')
    twin.set_ylabel('||W - P(W)|| / ||W||', color='tab:red')
    ax.legend(fontsize='x-small', loc='lower left')
  ax.set_title("eFCN (d'Ascoli et al. 2019)", fontsize='small')
  ax = axes[0, 2]
  lasso, sgd = part('beta_lasso', 'fc_beta_lasso'), part('beta_lasso', 'fc_sgd')
  for beta in sorted({r['beta'] for r in lasso}):
    band(ax, *mean_std([r for r in lasso if r['beta'] == beta], 'steps', 'locality'),
         f'beta-LASSO beta={beta:g}')
  if sgd:
    band(ax, *mean_std(sgd, 'steps', 'locality'), 'SGD (lambda = 0)', 'D')
  if lasso:
    beta = max(r['beta'] for r in lasso)
    twin = ax.twinx()
    band(twin, *mean_std([r for r in lasso if r['beta'] == beta], 'steps', 'zero_fraction'),
         f'zero weights, beta={beta:g}', 's--', 'tab:red')
    twin.set_ylim(0, 1)
    twin.set_ylabel('share of first-layer weights exactly 0', color='tab:red')
  ax.set(xlabel='training steps', ylabel='first-layer locality score')
  ax.legend(fontsize='x-small', loc='upper left')
  ax.set_title('beta-LASSO (Neyshabur 2020)', fontsize='small')
  shown = 0
  for arms, name in ((lasso, 'beta-LASSO'), (sgd, 'SGD')):
    if arms:
      last = max(r['steps'] for r in arms)
      first = min((r for r in arms if r['steps'] == last), key=lambda r: (-r.get('beta', 0), r['seed']))
      rows_image(axes[1, shown], first['rows'], f'{name}, {last} steps: |first-layer weights|')
      shown += 1
  for ax in axes[1, shown:2]:
    ax.axis('off')
  top = lambda rows, key: [r for r in rows if r[key] == max(x[key] for x in rows)] if rows else []
  _accuracy_bars(axes[1, 2], [
      ('MLP, Adam', top([r for r in part('locality') if not r['shifted']], 'n')),
      ('SGD', sgd), ('beta-LASSO', top(lasso, 'steps')), ('CNN', top(efcn, 't')),
      ('dense twin', fc)])
  axes[1, 2].set_title('Train beside test accuracy (largest n, longest runs)', fontsize='small')
  return save(fig, path)
