"""Figures of what the constraint costs and buys: dense-equivalent matrices, budgets, learned locality
(receptive fields: `field_figures`). Built as `matplotlib.figure.Figure`s (no pyplot): each function
returns its Figure and writes it if given a path."""

import os
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from lib.analysis.field_figures import sorted_maps
from lib.analysis.plotting import colors, save


def dense_matrices(panels: Sequence[tuple[str, np.ndarray]], path: os.PathLike | None = None,
                   columns: int = 3, title: str = '') -> Figure:
  """Dense-equivalent weight matrices side by side; structural zeros white, kept entries coloured.

  Args:
    panels: (title, W `[N_in * C_in, N_out * C_out]`, with NaN marking the structural zeros) per panel,
      row-major over `columns` columns.
    path: the image file to write, or None.
    columns: panels per row.
    title: the figure title.

  Returns:
    The figure.
  """
  rows = -(-len(panels) // columns)
  fig = Figure(figsize=(3.6 * columns, 3.7 * rows), layout='tight')
  axes = fig.subplots(rows, columns, squeeze=False)
  scale = max(np.nanmax(np.abs(w)) for _, w in panels)
  cmap = matplotlib.colormaps['coolwarm'].with_extremes(bad='white')
  for ax, (name, w) in zip(axes.ravel(), panels):
    # Rows are outputs, as in y = W^T x: the layer's matrix read as the vanilla network's.
    ax.imshow(np.ma.masked_invalid(w.T), cmap=cmap, vmin=-scale, vmax=scale, interpolation='nearest')
    ax.set_title(name, fontsize='small')
    ax.set_xlabel('input position x channel')
    ax.set_ylabel('output position x channel')
    ax.set_xticks([])
    ax.set_yticks([])
  for ax in axes.ravel()[len(panels):]:
    ax.axis('off')
  if title:
    fig.suptitle(title)
  return save(fig, path)


def _mean_std(records: list[dict], x_key: str, y_key: str):
  """`(x, mean, std)` of `y_key` over records grouped by `x_key`, sorted by x."""
  xs = sorted({r[x_key] for r in records})
  values = [[r[y_key] for r in records if r[x_key] == x and r.get(y_key) is not None] for x in xs]
  return (np.array(xs, float), np.array([np.mean(v) for v in values]),
          np.array([np.std(v) for v in values]))


def _band(ax, x, mean, std, label, style='o-', color=None):
  line, = ax.plot(x, mean, style, label=label, color=color)
  ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2)
  return line


def _rows_image(ax, rows: np.ndarray, title: str) -> None:
  """First-layer rows `[units, positions]` as |w| scaled per unit, sorted by the peak position."""
  ax.imshow(sorted_maps(np.abs(rows)), aspect='auto', cmap='viridis', interpolation='nearest')
  ax.set_xlabel('input position')
  ax.set_ylabel('first-layer unit (sorted by peak)')
  ax.set_title(title, fontsize='small')


def learned_locality(records: list[dict], baseline: dict,
                     path: os.PathLike | None = None) -> Figure:
  """Locality vs n (with/without shifts), eFCN accuracy and distance vs t, beta-LASSO vs steps.

  Args:
    records: `experiments.learned_locality` records (fields 'part', 'arch', ...).
    baseline: the scores at initialisation (`baseline_scores`).
    path: the image file to write, or None.

  Returns:
    The figure.
  """
  fig = Figure(figsize=(15, 8.4), layout='tight')
  axes = fig.subplots(2, 3)
  part = lambda name: [r for r in records if r['part'] == name]
  ax = axes[0, 0]
  for shifted in (False, True):
    mine = [r for r in part('locality') if r['shifted'] == shifted]
    if not mine:
      continue
    tag = ' (shift-augmented)' if shifted else ''
    _band(ax, *_mean_std(mine, 'n', 'locality'), f'locality{tag}', 'o-' if not shifted else 'o--')
    _band(ax, *_mean_std(mine, 'n', 'tying'), f'tying{tag}', 's-' if not shifted else 's--')
  ax.axhline(baseline['mlp']['locality'], color='grey', ls=':', label='locality at init')
  ax.axhline(baseline['mlp']['tying'], color='black', ls=':', label='tying at init')
  ax.set_xscale('log')
  ax.set_xlabel('training examples n')
  ax.set_ylabel('score (1 = a convolution)')
  ax.set_title('MLP first layer (Adam): locality and tying', fontsize='small')
  ax.legend(fontsize='x-small', loc='center right')
  ax = axes[0, 1]
  efcn = [r for r in part('efcn') if r['arch'] == 'efcn']
  if efcn:
    x, mean, std = _mean_std(efcn, 't', 'test_accuracy')
    _band(ax, x, 100 * mean, 100 * std, 'eFCN (CNN for t steps, then free)')
    fc = [r for r in part('efcn') if r['arch'] == 'fc_dense']
    if fc:
      acc = 100 * np.array([r['test_accuracy'] for r in fc])
      ax.axhspan(acc.mean() - acc.std(), acc.mean() + acc.std(), color='grey', alpha=0.3)
      ax.axhline(acc.mean(), color='grey', label='same FC net, its own init')
    ax.set_xscale('symlog', linthresh=max(1.0, float(np.min(x[x > 0])) if (x > 0).any() else 1.0))
    ax.set_xlabel('t (steps trained as the CNN; the last = the CNN)')
    ax.set_ylabel('test accuracy (%)')
    twin = ax.twinx()
    x, mean, std = _mean_std(efcn, 't', 'distance')
    _band(twin, x, mean, std, 'distance from the subspace', 's--', color='tab:red')
    twin.set_ylabel('||W - P(W)|| / ||W||', color='tab:red')
    ax.legend(fontsize='x-small', loc='lower left')
    twin.legend(fontsize='x-small', loc='lower right')
  ax.set_title("eFCN (d'Ascoli et al. 2019)", fontsize='small')
  ax = axes[0, 2]
  lasso = [r for r in part('beta_lasso') if r['arch'] == 'fc_beta_lasso']
  if lasso:
    _band(ax, *_mean_std(lasso, 'steps', 'locality'), 'beta-LASSO locality')
    sgd = [r for r in part('beta_lasso') if r['arch'] == 'fc_sgd']
    if sgd:
      _band(ax, *_mean_std(sgd, 'steps', 'locality'), 'SGD locality', 'D')
    ax.axhline(baseline['mlp']['locality'], color='grey', ls=':', label='at init')
    twin = ax.twinx()
    _band(twin, *_mean_std(lasso, 'steps', 'zero_fraction'), 'beta-LASSO zero weights', 's--',
          color='tab:red')
    twin.set_ylabel('share of first-layer weights exactly 0', color='tab:red')
    twin.set_ylim(0, 1)
    ax.set_xlabel('training steps')
    ax.set_ylabel('locality score')
    ax.legend(fontsize='x-small', loc='upper left')
    twin.legend(fontsize='x-small', loc='lower right')
  ax.set_title('beta-LASSO (Neyshabur 2020) on the MLP', fontsize='small')
  pictures = []
  for arch, name in (('fc_beta_lasso', 'beta-LASSO'), ('fc_sgd', 'SGD')):
    mine = [r for r in part('beta_lasso') if r['arch'] == arch and 'rows' in r]
    if mine:
      last = max(r['steps'] for r in mine)
      first = min((r for r in mine if r['steps'] == last), key=lambda r: r['seed'])
      pictures.append((np.asarray(first['rows']), f'{name}, {last} steps: |first-layer weights|'))
  for ax, (rows, title) in zip(axes[1, :2], pictures):
    _rows_image(ax, rows, title)
  ax = axes[1, 2]
  def at_most(rows, key):
    return [r for r in rows if r[key] == max(x[key] for x in rows)] if rows else []

  sgd = [r for r in part('beta_lasso') if r['arch'] == 'fc_sgd']
  adam = [r for r in part('locality') if not r['shifted']]
  bars = [(name, [100 * r['test_accuracy'] for r in rows]) for name, rows in (
      ('MLP, Adam', at_most(adam, 'n')), ('MLP, SGD', sgd), ('MLP, beta-LASSO', at_most(lasso, 'steps')),
      ('CNN', at_most(efcn, 't'))) if rows]
  if bars:
    ax.bar(range(len(bars)), [np.mean(v) for _, v in bars], yerr=[np.std(v) for _, v in bars],
           capsize=3)
    ax.set_xticks(range(len(bars)), [name for name, _ in bars], fontsize='small')
    ax.set_ylabel('test accuracy (%)')
    ax.set_title('Where beta-LASSO lands between the MLP and the CNN', fontsize='small')
  for ax in axes[1, len(pictures):2]:
    ax.axis('off')
  return save(fig, path)


def budgets(table: list[dict], path: os.PathLike | None = None) -> Figure:
  """Test accuracy against budget: a panel per (dataset, kind), a colour per family, solid widest,
  dashed deepest, each point tagged with its width (w) or depth (d); error bars: std over seeds.

  Args:
    table: `experiments.budget.rows` output.
    path: the image file to write, or None.

  Returns:
    The figure.
  """
  datasets = list(dict.fromkeys(r['dataset'] for r in table))
  kinds = list(dict.fromkeys(r['kind'] for r in table))
  fig = Figure(figsize=(6 * len(kinds), 4.2 * len(datasets)), layout='tight')
  axes = fig.subplots(len(datasets), len(kinds), squeeze=False)
  for ax, (dataset, kind) in zip(axes.ravel(), [(d, k) for d in datasets for k in kinds]):
    for family, color in zip(('fc', 'lcn', 'cnn'), colors()):
      for shape, style in (('widest', 'o-'), ('deepest', 's--')):
        mine = sorted((r for r in table if (r['dataset'], r['kind'], r['family'], r['shape']) ==
                       (dataset, kind, family, shape) and r['runs']), key=lambda r: r['budget'])
        if mine:
          ax.errorbar([r['budget'] for r in mine], [100 * r['test_accuracy_mean'] for r in mine],
                      [100 * r['test_accuracy_std'] for r in mine], fmt=style, color=color,
                      capsize=3, label=f'{family.upper()} {shape}')
          for r in mine:  # the width of the widest, the depth of the deepest
            tag = f"w{r['width']}" if shape == 'widest' else f"d{r['depth']}"
            ax.annotate(tag, (r['budget'], 100 * r['test_accuracy_mean']), fontsize='xx-small',
                        color=color, xytext=(3, 3), textcoords='offset points')
    ax.set_xscale('log')
    ax.set_xlabel('budget: ' + ('free parameters' if kind == 'params' else 'multiply-adds / example'))
    ax.set_ylabel('test accuracy (%)')
    ax.set_title(f'{dataset}, fixed {kind} budget', fontsize='small')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize='x-small')
  return save(fig, path)
