"""Figures of the emergence experiment (Ingrosso and Goldt's setting): first-layer weights, and IPR,
locality score and test accuracy against gain and against training time, mean +- std over seeds.

Each takes the experiment's records (`experiments/emergence.py`): fields arch, kind, gain, seed,
`curves` (step, test_accuracy), `ipr` and `locality` (one value per evaluation point) and, for fc,
`rows` (`[K, D]` final first-layer weights).
"""

import os

import numpy as np
from matplotlib.figure import Figure

from lib.analysis.plotting import colors, save

SCORES = (('ipr', 'IPR of first-layer weights'), ('locality', 'locality score'))
STYLE = {'gp': '--', 'nlgp': '-'}


def _mean_std(records: list[dict], key: str, last: bool) -> tuple[np.ndarray, np.ndarray]:
  values = np.array([r[key][-1] if last else r[key] for r in records], float)
  return values.mean(0), values.std(0)


def weights(records: list[dict], gain: float, path: os.PathLike | None = None) -> Figure:
  """The final first-layer weights of one fc net (seed 0) on the GP and on the NLGP at `gain`."""
  chosen = {r['kind']: r for r in records
            if r['arch'] == 'fc' and r['gain'] == gain and r['seed'] == 0 and r.get('rows')}
  kinds = [k for k in ('gp', 'nlgp') if k in chosen]
  fig = Figure(figsize=(5.2 * len(kinds), 2.6), layout='constrained')
  for ax, kind in zip(np.atleast_1d(fig.subplots(1, len(kinds))), kinds):
    rows = np.asarray(chosen[kind]['rows'])
    scale = np.abs(rows).max()
    image = ax.imshow(rows, cmap='coolwarm', vmin=-scale, vmax=scale, aspect='auto',
                      interpolation='nearest')
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(f"{kind.upper()}, gain {gain:g}: mean IPR {chosen[kind]['ipr'][-1]:.3f}",
                 fontsize='small')
    ax.set_xlabel('input position')
    ax.set_ylabel('hidden unit')
  fig.suptitle('First-layer weights of one trained fc committee (seed 0)')
  return save(fig, path)


def against_gain(records: list[dict], baseline: dict, path: os.PathLike | None = None) -> Figure:
  """Final IPR and locality score of the fc committee against the gain, GP and NLGP."""
  fc = [r for r in records if r['arch'] == 'fc' and not r['diverged']]
  fig = Figure(figsize=(10, 3.6), layout='constrained')
  for ax, (key, label) in zip(fig.subplots(1, 2), SCORES):
    for kind, color in zip(('gp', 'nlgp'), colors()):
      gains = sorted({r['gain'] for r in fc if r['kind'] == kind})
      if not gains:
        continue
      stats = [_mean_std([r for r in fc if r['kind'] == kind and r['gain'] == g], key, True)
               for g in gains]
      ax.errorbar(gains, [m for m, _ in stats], [s for _, s in stats], marker='o', capsize=3,
                  color=color, ls=STYLE[kind], label=kind.upper())
    ax.axhline(baseline[key], color='gray', lw=0.8, ls=':', label='at initialisation')
    ax.set_xscale('log')
    ax.set_xlabel('gain')
    ax.set_ylabel(label)
    ax.legend(fontsize='small')
  fig.suptitle('fc committee at the end of training (mean +- std over seeds)')
  return save(fig, path)


def against_time(records: list[dict], gain: float, size: int,
                 path: os.PathLike | None = None) -> Figure:
  """IPR, locality score and test accuracy against time (steps / D) at `gain`, every arch."""
  fig = Figure(figsize=(14, 3.6), layout='constrained')
  panels = (*SCORES, ('test_accuracy', 'test accuracy (%)'))
  chosen = [r for r in records if r['gain'] == gain and not r['diverged']]
  for ax, (key, label) in zip(fig.subplots(1, 3), panels):
    for arch, color in zip(('fc', 'lcn', 'cnn'), colors()):
      for kind in ('gp', 'nlgp'):
        runs = [r for r in chosen if r['arch'] == arch and r['kind'] == kind]
        if not runs:
          continue
        curves = [{key: r['curves'][key] if key == 'test_accuracy' else r[key]} for r in runs]
        mean, std = _mean_std(curves, key, False)
        scale = 100 if key == 'test_accuracy' else 1
        time = np.asarray(runs[0]['curves']['step']) / size
        ax.plot(time, scale * mean, color=color, ls=STYLE[kind], label=f'{arch} {kind.upper()}')
        ax.fill_between(time, scale * (mean - std), scale * (mean + std), color=color, alpha=0.2)
    ax.set_xlabel('time (steps / D)')
    ax.set_ylabel(label)
  fig.axes[0].legend(fontsize='small')
  fig.suptitle(f'Along training at gain {gain:g} (mean +- std over seeds)')
  return save(fig, path)
