"""Figures of training sweeps, built as `matplotlib.figure.Figure`s: no pyplot, no global backend.

Every figure function returns its Figure and, given a path, also writes it (`save`). A notebook shows
the returned Figure inline with its own backend; a script or the report writes the file. Written PNGs
carry no software version or time stamp, so the same data give the same bytes.
"""

import os
import pathlib

import matplotlib
import numpy as np
from matplotlib.figure import Figure

DPI = 120
# Per file type, the metadata keys whose defaults vary between runs or versions, left out.
METADATA = {'.png': {'Software': None}, '.svg': {'Creator': None, 'Date': None},
            '.pdf': {'Creator': None, 'Producer': None, 'CreationDate': None}}


def colors() -> list[str]:
  """The colours of matplotlib's current property cycle (rcParams at call time)."""
  return matplotlib.rcParams['axes.prop_cycle'].by_key()['color']


def save(fig: Figure, path: os.PathLike | str | None, tight_box: bool = False) -> Figure:
  """Writes `fig` to `path` (if given) without variable metadata; returns `fig`.

  Args:
    fig: the figure.
    path: the file to write; its suffix picks the format. None writes nothing.
    tight_box: crop the saved image to what is drawn (`bbox_inches='tight'`).
  """
  if path is not None:
    fig.savefig(path, dpi=DPI, metadata=METADATA.get(pathlib.Path(path).suffix.lower()),
                bbox_inches='tight' if tight_box else None)
  return fig


def sample_efficiency(rows: list[dict], path: os.PathLike | None = None, title: str = '') -> Figure:
  """Test accuracy against training-set size, one line per architecture with a +-std band.

  Train accuracy is drawn dashed in the same colour. The x axis is logarithmic. Rows whose every run
  diverged (NaN means) are left out; an architecture with none left is named in the legend.

  Args:
    rows: `lib.engine.summary.summarize` rows with 'arch' and 'n'.
    path: the image file to write (e.g. a .png), or None.
    title: the figure title.

  Returns:
    The figure.
  """
  fig = Figure(figsize=(6.4, 4.4), layout='tight')
  ax = fig.subplots()
  archs = list(dict.fromkeys(r['arch'] for r in rows))
  sizes = [r['n'] for r in rows]
  if sizes:
    ax.set_xlim(min(sizes) / 1.2, max(sizes) * 1.2)
  for arch, color in zip(archs, colors() * 4):
    mine = sorted((r for r in rows if r['arch'] == arch and np.isfinite(r['test_accuracy_mean'])),
                  key=lambda r: r['n'])
    if not mine:
      ax.plot([], [], 'x', color=color, label=f'{arch}: every run diverged')
      continue
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
  return save(fig, path)


def permutation_bars(rows: list[dict], path: os.PathLike | None = None, title: str = '') -> Figure:
  """Test accuracy per architecture, unpermuted vs permuted bars (+-std), one panel per n.

  Args:
    rows: `lib.engine.summary.summarize` rows with 'arch', 'n' and a boolean 'permuted'.
    path: the image file to write, or None.
    title: the figure title.

  Returns:
    The figure.
  """
  sizes = sorted({r['n'] for r in rows})
  fig = Figure(figsize=(4.8 * max(len(sizes), 1), 4.0), layout='tight')
  axes = fig.subplots(1, max(len(sizes), 1), squeeze=False)
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
  return save(fig, path)


def shift_accuracy(rows: list[dict], shifts: np.ndarray, seen: np.ndarray,
                   path: os.PathLike | None = None, title: str = '') -> Figure:
  """Test accuracy at every shift, one panel (2-D: heatmap over (dy, dx)) or line (1-D) per arch.

  Args:
    rows: dicts with 'arch' and 'accuracy_per_shift' (`[m]`, in the order of `shifts`).
    shifts: `[m, d]` int shifts, d = 1 or 2, in `lib.data.shift_grid` order.
    seen: `[m]` bool, the shifts seen in training (outlined in 2-D, shaded in 1-D).
    path: the image file to write, or None.
    title: the figure title.

  Returns:
    The figure.
  """
  if shifts.shape[1] == 1:
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.subplots()
    ax.axvspan(shifts[seen, 0].min() - 0.5, shifts[seen, 0].max() + 0.5, color='grey', alpha=0.2,
               label='seen in training')
    for r in rows:
      ax.plot(shifts[:, 0], 100 * np.asarray(r['accuracy_per_shift']), 'o-', ms=3, label=r['arch'])
    ax.set_xlabel('shift')
    ax.set_ylabel('test accuracy (%)')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize='small')
  else:
    side = int(round(np.sqrt(len(shifts))))
    extent = (shifts[:, 1].min() - 0.5, shifts[:, 1].max() + 0.5, shifts[:, 0].max() + 0.5,
              shifts[:, 0].min() - 0.5)
    fig = Figure(figsize=(3.2 * len(rows), 3.4))
    axes = fig.subplots(1, len(rows), squeeze=False)
    for ax, r in zip(axes[0], rows):
      image = ax.imshow(100 * np.asarray(r['accuracy_per_shift']).reshape(side, side), vmin=0,
                        vmax=100, extent=extent, cmap='viridis')
      ax.contour(np.unique(shifts[:, 1]), np.unique(shifts[:, 0]), seen.reshape(side, side),
                 levels=[0.5], colors='white')
      ax.set_title(r['arch'])
      ax.set_xlabel('dx')
      ax.set_ylabel('dy')
    fig.colorbar(image, ax=axes[0].tolist(), label='test accuracy (%)')
  if title:
    fig.suptitle(title)
  return save(fig, path, tight_box=True)


def seen_unseen_bars(rows: list[dict], path: os.PathLike | None = None, title: str = '') -> Figure:
  """Mean test accuracy on seen vs unseen shifts per architecture (+-std over seeds).

  Args:
    rows: dicts with 'arch' and `{seen,unseen}_accuracy_{mean,std}`.
    path: the image file to write, or None.
    title: the figure title.

  Returns:
    The figure.
  """
  fig = Figure(figsize=(1.4 * len(rows) + 2, 4.0), layout='tight')
  ax = fig.subplots()
  pos = np.arange(len(rows))
  for offset, which in ((-0.2, 'seen'), (0.2, 'unseen')):
    ax.bar(pos + offset, [100 * r[f'{which}_accuracy_mean'] for r in rows], 0.4,
           yerr=[100 * r[f'{which}_accuracy_std'] for r in rows], capsize=3,
           label=f'{which} shifts')
  ax.set_xticks(pos, [r['arch'] for r in rows])
  ax.set_ylabel('test accuracy (%)')
  ax.grid(True, axis='y', alpha=0.3)
  ax.legend(fontsize='small')
  if title:
    ax.set_title(title, fontsize='small')
  return save(fig, path)
