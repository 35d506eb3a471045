"""Figures that set measurements next to theory: kernel differences against width, and sample
complexity against input size with the predicted slopes drawn in. Built as `matplotlib.figure.Figure`s
(no pyplot): each function returns its Figure and writes it if given a path."""

import os

import numpy as np
from matplotlib.figure import Figure

from lib.analysis.plotting import colors, save


def kernel_difference(panels: dict[str, dict], path: os.PathLike | None = None) -> Figure:
  """Relative kernel differences against width (log-log), one panel per dataset.

  Args:
    panels: `{title: {'widths': [w], 'lines': [{'label', 'values': [per width], 'style'}],
      'levels': [{'label', 'value'}]}}`; a line's label should carry its fitted slope; a level (e.g.
      the exact infinite-width difference) is drawn as a horizontal dashed line.
    path: the image file to write, or None.

  Returns:
    The figure.
  """
  fig = Figure(figsize=(5.6 * len(panels), 4.3), layout='tight')
  axes = fig.subplots(1, len(panels), squeeze=False)
  for ax, (title, panel) in zip(axes[0], panels.items()):
    for line, color in zip(panel['lines'], colors() * 4):
      ax.plot(panel['widths'], line['values'], line.get('style', 'o-'), color=color,
              label=line['label'])
    for level in panel.get('levels', ()):
      ax.axhline(level['value'], color='gray', linestyle='--', linewidth=1, label=level['label'])
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    ax.set_xlabel('width (channels; FC units)')
    ax.set_ylabel('relative Frobenius difference')
    ax.set_title(title)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize='x-small')
  return save(fig, path)


def sample_complexity(panels: dict[str, dict], path: os.PathLike | None = None) -> Figure:
  """Smallest n reaching a target accuracy against input size (log-log), one panel per task.

  Each architecture gets its measured points (median over seeds, bars from the smallest to the
  largest seed) and, dashed in the same colour, its predicted slope drawn through the measured
  geometric mean.

  Args:
    panels: `{title: {'xlabel': str, 'floor': smallest n of the grid, 'archs': {arch: {'sizes': [s],
      'median': [n or NaN], 'low': [n], 'high': [n], 'measured': str, 'predicted_slope': float or
      None}}}}`; the floor is drawn dotted (a crossing there may lie lower).
    path: the image file to write, or None.

  Returns:
    The figure.
  """
  fig = Figure(figsize=(5.6 * len(panels), 4.5), layout='tight')
  axes = fig.subplots(1, len(panels), squeeze=False)
  for ax, (title, panel) in zip(axes[0], panels.items()):
    for (arch, line), color in zip(panel['archs'].items(), colors() * 4):
      sizes, median = np.asarray(line['sizes'], float), np.asarray(line['median'], float)
      ok = np.isfinite(median)
      if not ok.any():
        continue
      low, high = np.asarray(line['low'], float)[ok], np.asarray(line['high'], float)[ok]
      ax.errorbar(sizes[ok], median[ok], yerr=[median[ok] - low, high - median[ok]], fmt='o-',
                  color=color, capsize=3, label=f"{arch}: {line['measured']}")
      slope = line.get('predicted_slope')
      if slope is not None and ok.sum() >= 1:
        centre_x, centre_y = np.exp(np.log(sizes[ok]).mean()), np.exp(np.log(median[ok]).mean())
        xs = np.array([sizes.min(), sizes.max()])
        ax.plot(xs, centre_y * (xs / centre_x) ** slope, '--', color=color, alpha=0.7,
                label=f'{arch} predicted slope {round(slope, 2) + 0.0:.2f}')
    if 'floor' in panel:
      ax.axhline(panel['floor'], color='gray', linestyle=':', label='smallest n of the grid')
    ax.set_xscale('log', base=2)
    ax.set_yscale('log')
    ax.set_xlabel(panel['xlabel'])
    ax.set_ylabel('smallest n reaching the target')
    ax.set_title(title)
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize='x-small')
  return save(fig, path)
