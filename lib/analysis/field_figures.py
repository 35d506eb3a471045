"""The receptive-field figure: effective against theoretical fields of conv stacks, at initialisation and
after each training length, and an MLP's unit gradient maps. A `matplotlib.figure.Figure`, no pyplot."""

import os

import numpy as np
from matplotlib.figure import Figure

from lib.analysis.plotting import colors, save


def sorted_maps(maps: np.ndarray) -> np.ndarray:
  """`[units, positions]` maps, each scaled to peak 1, sorted by peak position."""
  maps = maps / np.maximum(maps.max(-1, keepdims=True), 1e-30)
  return maps[np.argsort(maps.argmax(-1), kind='stable')]


def _profiles(ax, depths, init: dict, trained: dict) -> None:
  for depth, color in zip(depths, colors() * 4):
    for fields, style, label in ((init, '--', 'init'), (trained, '-', 'trained')):
      mean = np.asarray(fields[depth]).mean(0)
      offset = np.arange(mean.size) - mean.size // 2
      ax.plot(offset, mean / mean.max(), style, color=color,
              label=f'depth {depth} {label}' if style == '-' or depth == depths[0] else None)
  ax.set_xlabel('input position - centre')
  ax.set_ylabel('mean |d y_centre / d x| (peak 1)')
  ax.set_title('Effective fields (dashed: init, solid: longest training)', fontsize='small')
  ax.legend(fontsize='x-small')


def _widths(ax, depths, widths: dict, exponents: dict, theory: list, theory_exponent: float) -> None:
  for (name, per_depth), marker in zip(widths.items(), 'osd^v<>'):
    slope = np.asarray(exponents[name])
    label = 'at init' if name == 'init' else f'{name} steps'
    ax.errorbar(depths, [np.mean(per_depth[d]) for d in depths],
                [np.std(per_depth[d]) for d in depths], marker=marker, capsize=3,
                label=f'ERF {label}: a = {slope.mean():.2f} +- {slope.std():.2f}')
  ax.plot(depths, theory, 'k:', label=f'theoretical field: a = {theory_exponent:.2f}')
  ax.set_xscale('log')
  ax.set_yscale('log')
  ax.set_xticks(depths, [str(d) for d in depths])
  ax.minorticks_off()
  ax.set_xlabel('depth')
  ax.set_ylabel('width (std of the field, positions)')
  ax.set_title('width ~ depth^a (spread over seeds)', fontsize='small')
  ax.legend(fontsize='x-small')
  ax.grid(True, which='both', alpha=0.3)


def _theory(ax, facts: dict, size: int) -> None:
  all_depths = np.arange(1, len(facts['composed']) + 1)
  ax.plot(all_depths, facts['closed_form'], 'k-', label='closed form 1 + sum (k-1) d prod s')
  ax.plot(all_depths, facts['composed'], 'o', ms=4, mfc='none', label='composed masks (centre unit)')
  ax.axhline(size, color='grey', ls='--', label=f'input ({size} positions)')
  if facts['covering_depth'] is not None:
    ax.axvline(facts['covering_depth'], color='grey', ls=':',
               label=f"covers the input from depth {facts['covering_depth']}")
  ax.set_xlabel('depth')
  ax.set_ylabel('theoretical field extent (positions)')
  ax.set_title('Theoretical field of 3-tap stacks', fontsize='small')
  ax.legend(fontsize='x-small')
  ax.grid(True, alpha=0.3)


def receptive_fields(depths, init: dict, trained: dict, facts: dict, widths: dict, exponents: dict,
                     fc: dict, window: int, path: os.PathLike | None = None) -> Figure:
  """Effective vs theoretical receptive fields of conv stacks, and an MLP's unit gradient maps.

  Args:
    depths: the stack depths.
    init: `{depth: [seeds, positions]}` effective fields at the runs' initialisation.
    trained: `{depth: [seeds, positions]}` effective fields after the longest training.
    facts: `lib.analysis.field_growth.theory`, plus 'theory_exponent'.
    widths: `{'init' or str(steps): {depth: [seeds]}}` field widths.
    exponents: `{'init' or str(steps): [seeds]}` fitted exponents.
    fc: `{'maps': [units, positions], 'maps_init': the same at init, 'units': [units] and
      'units_init': each unit's share of mass in its best window}` of the MLP.
    window: that window (positions).
    path: the image file to write, or None.

  Returns:
    The figure.
  """
  fig = Figure(figsize=(15, 8.4), layout='tight')
  axes = fig.subplots(2, 3)
  _profiles(axes[0, 0], depths, init, trained)
  theory = [np.sqrt((facts['closed_form'][d - 1] ** 2 - 1) / 12) for d in depths]
  _widths(axes[0, 1], depths, widths, exponents, theory, facts['theory_exponent'])
  _theory(axes[0, 2], facts, np.asarray(fc['maps']).shape[-1])
  for ax, maps, name in ((axes[1, 0], fc['maps'], 'trained'), (axes[1, 1], fc['maps_init'], 'at init')):
    ax.imshow(sorted_maps(np.asarray(maps)), aspect='auto', cmap='viridis', interpolation='nearest')
    ax.set_xlabel('input position')
    ax.set_ylabel('hidden unit (sorted by peak)')
    ax.set_title(f'FC (MLP) 2nd hidden layer, |d unit / d x|, {name}', fontsize='small')
  ax = axes[1, 2]
  ax.hist([fc['units'], fc['units_init']], bins=20, density=True, label=['trained', 'at init'])
  ax.set_xlabel(f'share of gradient mass in the best {window}-position window')
  ax.set_ylabel('density over FC hidden units')
  ax.legend(fontsize='x-small')
  return save(fig, path)
