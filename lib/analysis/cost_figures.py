"""Figures of what the constraint costs and buys: dense-equivalent matrices and budgets (receptive
fields: `field_figures`; learned locality: `locality_figure`). Built as `matplotlib.figure.Figure`s
(no pyplot): each function returns its Figure and writes it if given a path."""

import os
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

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


def budgets(table: list[dict], path: os.PathLike | None = None) -> Figure:
  """Test accuracy against budget: a panel per (dataset, kind), a colour per family, solid widest,
  dashed deepest, each point tagged with its width (w) or depth (d); error bars: std over seeds.

  Args:
    table: `lib.analysis.budget_runs.rows` output.
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
