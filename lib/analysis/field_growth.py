"""How receptive fields of conv stacks grow with depth and with training (Luo et al. 2016).

The analysis of `experiments/receptive_field.py`: the theoretical extents of 3-tap stacks, the effective
field of every trained run beside the field of that run's own initial parameters (recomputed from its
key, as the engine draws them), the width ~ depth^a exponents per seed and training length, and the
share of an MLP unit's gradient mass inside its best window.
"""

import jax
import jax.numpy as jnp
import numpy as np

from lib.analysis import locality
from lib.analysis import receptive_field as rf
from lib.core import inits, models
from lib.engine import training

KERNEL = 3


def theory(max_depth: int, size: int) -> dict:
  """Central-unit field extents of 3-tap stacks of depth 1..max_depth (mask composition and closed
  form), their covering depths, and the MNIST-1D paper CNN's per-layer extents."""
  fields = rf.model_fields(models.conv_stack(max_depth, 1, KERNEL), (size, 1))
  composed = [int(rf.field_extent(f, (size,))[size // 2, 0]) for f in fields]
  closed = [rf.closed_form_extent([KERNEL] * d, [1] * d, [1] * d) for d in range(1, max_depth + 1)]
  paper = [int(rf.field_extent(f, (size,)).max())
           for f in rf.model_fields(models.mnist1d_cnn(), (size, 1))]
  paper_closed = [rf.closed_form_extent([5, 3, 3][:i], [2, 2, 2][:i], [1] * i) for i in (1, 2, 3)]
  return {'composed': composed, 'closed_form': closed,
          'covering_depth': rf.covering_depth(composed, size),
          'covering_depth_closed_form': rf.covering_depth(closed, size),
          'paper_cnn_extent': paper, 'paper_cnn_closed_form': paper_closed,
          'paper_cnn_covers': rf.covering_depth(paper, size) is not None}


def initial_params(init, arch: str, seeds, n: int, in_shape) -> list:
  """The parameters each run `(arch, seed, n)` starts from, drawn from its key as the engine does.

  Args:
    init: the group's `init(key, in_shape) -> params` (the engine's default: `model.init(...)[1]`).
    arch: the runs' 'arch' (folded into their keys, `training.identity_tag`).
    seeds: the runs' seeds.
    n: their training-set size.
    in_shape: `(*grid, C)`.
  """
  tag = training.identity_tag(arch)
  return [init(jax.random.split(training.run_key(s, tag, n))[0], tuple(in_shape)) for s in seeds]


def conv_init_fields(depth: int, width: int, num_classes: int, seeds, n: int,
                     x: np.ndarray) -> np.ndarray:
  """`[seeds, positions]`: the effective field of each cnn run's initial stack (He normal)."""
  model = models.conv_stack_classifier(depth, width, num_classes, KERNEL)
  features = models.conv_stack(depth, width, KERNEL)
  field = jax.jit(lambda p: rf.effective_field(features, p, x))
  return np.stack([np.asarray(field(p[0])) for p in initial_params(
      inits.he_normal(model), 'cnn', seeds, n, x.shape[1:])])


def mlp_init_maps(num_classes: int, seeds, n: int, x: np.ndarray) -> np.ndarray:
  """`[seeds, units, positions]`: the MLP runs' second-hidden-layer gradient maps at their own init."""
  model, features = models.mnist1d_mlp(num_classes), models.mnist1d_mlp(readout=False)
  maps = jax.jit(lambda p: rf.unit_gradient_maps(features, p, x))
  init = lambda key, shape: model.init(key, shape)[1]
  return np.stack([np.asarray(maps(p[:4])) for p in initial_params(init, 'fc', seeds, n,
                                                                   x.shape[1:])])


def map_locality(maps, window: int) -> np.ndarray:
  """`[..., units]`: each gradient map's share of mass inside its best `window`-wide window."""
  maps = jnp.asarray(maps)
  flat = maps.reshape(-1, maps.shape[-1])
  score = locality.locality_score(jnp.sqrt(flat)[..., None], (window,))
  return np.asarray(score.reshape(maps.shape[:-1]))


def widths(fields) -> np.ndarray:
  """`[runs]`: the width (standard deviation) of each 1-D field in `fields [runs, positions]`."""
  return np.asarray(rf.field_width(jnp.asarray(np.asarray(fields, np.float32))))


def annotate(records: list[dict], init: dict, window: int) -> list[dict]:
  """The records with each run's field widths (trained, at its own init) or its MLP map locality.

  Args:
    records: receptive_field records: cnn runs carry 'erf' `[positions]`, fc runs 'unit_maps'
      `[units, positions]`.
    init: `{'seeds': [...], 'fields': {str(depth): [seeds, positions]}, 'fc_maps': [seeds, units,
      positions]}`, the runs' fields at their own initial parameters (`conv_init_fields`,
      `mlp_init_maps`).
    window: the MLP maps' window (positions).

  Returns:
    Copies: cnn records gain 'erf_width', 'erf_width_init' and 'erf_growth' (their ratio); fc records
    'locality' and 'locality_init' (means over units). Diverged runs (no fields) gain nothing.
  """
  row = {seed: i for i, seed in enumerate(init['seeds'])}
  out = []
  for record in records:
    record = dict(record)
    if record['arch'] == 'cnn' and record.get('erf') is not None:
      start = np.asarray(init['fields'][str(record['depth'])][row[record['seed']]])
      record['erf_width'] = float(widths([record['erf']])[0])
      record['erf_width_init'] = float(widths([start])[0])
      record['erf_growth'] = record['erf_width'] / record['erf_width_init']
    elif record['arch'] == 'fc' and record.get('unit_maps') is not None:
      record['locality'] = float(map_locality(record['unit_maps'], window).mean())
      start = np.asarray(init['fc_maps'][row[record['seed']]])
      record['locality_init'] = float(map_locality(start, window).mean())
    out.append(record)
  return out


def exponents_by_length(records: list[dict], depths, lengths) -> dict:
  """`{'init': [seeds], steps: [seeds]}`: the width ~ depth^a exponent per seed of annotated cnn
  records, at initialisation and after each training length (seeds with a diverged run left out)."""
  cnn = [r for r in records if r['arch'] == 'cnn' and 'erf_width' in r]
  seeds = sorted({r['seed'] for r in cnn})
  out = {}
  for name, field, steps in [('init', 'erf_width_init', lengths[0]),
                             *((str(s), 'erf_width', s) for s in lengths)]:
    table = {(r['depth'], r['seed']): r[field] for r in cnn if r['steps'] == steps}
    complete = [s for s in seeds if all((d, s) in table for d in depths)]
    out[name] = [rf.fit_exponent(depths, [table[(d, s)] for d in depths]) for s in complete]
  return out
