"""Figures of what the constraint costs and buys: dense-equivalent matrices, budgets, receptive fields,
learned locality. Drawn with matplotlib's Agg backend (lib.analysis.plotting sets it)."""

import os
from typing import Sequence

import numpy as np

from lib.analysis.plotting import plt  # sets the Agg backend


def _save(fig, path: os.PathLike) -> None:
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def dense_matrices(panels: Sequence[tuple[str, np.ndarray]], path: os.PathLike,
                   columns: int = 3, title: str = '') -> None:
  """Dense-equivalent weight matrices side by side; structural zeros white, kept entries coloured.

  Args:
    panels: (title, W `[N_in * C_in, N_out * C_out]`, with NaN marking the structural zeros) per panel,
      row-major over `columns` columns.
    path: the image file to write.
    columns: panels per row.
    title: the figure title.
  """
  rows = -(-len(panels) // columns)
  fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.7 * rows), squeeze=False)
  scale = max(np.nanmax(np.abs(w)) for _, w in panels)
  cmap = plt.get_cmap('coolwarm').with_extremes(bad='white')
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
  _save(fig, path)
