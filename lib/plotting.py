"""Figures, drawn with matplotlib's Agg backend (no display needed)."""

import os

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np


def sample_efficiency(rows: list[dict], path: os.PathLike, title: str = '') -> None:
  """Test accuracy against training-set size, one line per architecture with a +-std band.

  Train accuracy is drawn dashed in the same colour. The x axis is logarithmic.

  Args:
    rows: `lib.summary.summarize` rows with 'arch' and 'n'.
    path: the image file to write (e.g. a .png).
    title: the figure title.
  """
  fig, ax = plt.subplots(figsize=(6.4, 4.4))
  archs = list(dict.fromkeys(r['arch'] for r in rows))
  for arch, color in zip(archs, plt.rcParams['axes.prop_cycle'].by_key()['color'] * 4):
    mine = sorted((r for r in rows if r['arch'] == arch), key=lambda r: r['n'])
    n = np.array([r['n'] for r in mine])
    test = 100 * np.array([r['test_accuracy_mean'] for r in mine])
    std = 100 * np.array([r['test_accuracy_std'] for r in mine])
    ax.plot(n, test, 'o-', color=color, label=f'{arch} test')
    ax.fill_between(n, test - std, test + std, color=color, alpha=0.2)
    ax.plot(n, 100 * np.array([r['train_accuracy_mean'] for r in mine]), '--', color=color,
            label=f'{arch} train')
  ax.set_xscale('log')
  ax.set_xlabel('training examples n')
  ax.set_ylabel('accuracy (%)')
  ax.grid(True, which='both', alpha=0.3)
  ax.legend(fontsize='small')
  if title:
    ax.set_title(title)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
