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


def permutation_bars(rows: list[dict], path: os.PathLike, title: str = '') -> None:
  """Test accuracy per architecture, unpermuted vs permuted bars (+-std), one panel per n.

  Args:
    rows: `lib.summary.summarize` rows with 'arch', 'n' and a boolean 'permuted'.
    path: the image file to write.
    title: the figure title.
  """
  sizes = sorted({r['n'] for r in rows})
  fig, axes = plt.subplots(1, len(sizes), figsize=(4.8 * len(sizes), 4.0), squeeze=False)
  for ax, n in zip(axes[0], sizes):
    archs = list(dict.fromkeys(r['arch'] for r in rows if r['n'] == n))
    pos = np.arange(len(archs))
    for offset, permuted in ((-0.2, False), (0.2, True)):
      mine = {r['arch']: r for r in rows if r['n'] == n and r['permuted'] == permuted}
      mean = [100 * mine[a]['test_accuracy_mean'] if a in mine else np.nan for a in archs]
      std = [100 * mine[a]['test_accuracy_std'] if a in mine else np.nan for a in archs]
      ax.bar(pos + offset, mean, 0.4, yerr=std, capsize=3,
             label='permuted' if permuted else 'unpermuted')
    ax.set_xticks(pos, archs)
    ax.set_ylabel('test accuracy (%)')
    ax.set_title(f'n = {n}')
    ax.grid(True, axis='y', alpha=0.3)
    ax.legend(fontsize='small')
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
