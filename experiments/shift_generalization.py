"""Shift generalization: train at a few positions, test at every shift of a grid.

Each architecture trains with every minibatch example at a shift drawn from the allowed ("seen") ones:
the seen shifts of `--max_shift`'s grid under `--rule`/`--radius` (the centred position among them).
`fc_aug` is the FC network trained instead with every example at a shift drawn from the whole grid
(augmentation). After training, the engine evaluates the final parameters on the whole test set at
every shift of the grid, inside the compiled program: accuracy per shift, mean accuracy over seen and
unseen shifts, and shift consistency (Zhang 2019: how often two random shifts of one test image get the
same class). Train accuracy is on the run's (unshifted, centred) training subset.

The pooled CNN `cnn_gap` subsamples by strides 2, 2, and strides alias (Zhang 2019). Its controls:
`cnn_blurpool`, the same network with each stride-2 convolution anti-aliased (stride-1 convolution,
ReLU, binomial blur subsampled by 2), and `cnn_gap_s1`, the same network at stride 1 (invariant up to
the canvas's edges, 16x the multiply-adds: run when named in --archs). The summary gives the share of
its seen-shift accuracy each run keeps at unseen shifts.

Any dataset: images (digits, tfds:NAME, npz:PATH) are centred on a `--canvas` square zero image and
shifted without wrap-around (the canvas must hold the image at every shift); figure: accuracy heatmaps
over (dy, dx). `--dataset=mnist1d`: circular shifts of the 40 positions; figure: accuracy against the
shift. `--sizes` trains on nested class-balanced subsets of n training examples, e.g.
`--archs=cnn_gap,fc_aug --sizes=100,300,1347` shows how many more examples the FC network with
augmentation needs than a CNN to generalise across shifts. Writes results.jsonl, summary.csv,
summary.md, shift_accuracy.png and seen_unseen.png to --workdir.
"""

import pathlib

import jax
import numpy as np
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import shift_eval
from lib.data import Dataset, load_dataset, shift_grid, split_seen_unseen, translate
from lib.engine import experiment, grids, protocols
from lib.report import render

ARCHS = ('fc', 'lcn', 'cnn', 'cnn_gap', 'cnn_blurpool', 'cnn_gap_s1', 'fc_aug')
POOLED = ('cnn_gap', 'cnn_blurpool', 'cnn_gap_s1')  # image models only: mnist1d has none of them
BY_NAME_ONLY = ('cnn_gap_s1',)  # 16x cnn_gap's multiply-adds: run when named, not by default
FLAGS = flags.FLAGS

sweep_flags.define_dataset('digits', 'Images are centred on a --canvas square; mnist1d shifts '
                           'circularly.')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/shift_generalization', 'Where results and summaries '
                               'are written; re-running resumes.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_CANVAS = flags.DEFINE_integer('canvas', 20, 'Images: the side of the square zero canvas.',
                               lower_bound=1)
_ARCHS = flags.DEFINE_list('archs', None, f'Architectures, from {list(ARCHS)}; default all but '
                           f'{list(BY_NAME_ONLY)} (mnist1d has no pooled CNN).')
_MAX_SHIFT = flags.DEFINE_integer('max_shift', None, 'Test shifts: every integer shift in '
                                  '[-max_shift, max_shift] per axis (default images 4, mnist1d 10).',
                                  lower_bound=1)
_RULE = flags.DEFINE_enum('rule', 'centre', list(translate.RULES), 'Which shifts are seen in '
                          'training.')
_RADIUS = flags.DEFINE_integer('radius', 1, 'The seen set\'s boundary (lib.data.split_seen_unseen).',
                               lower_bound=0)
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 2, 'Seeds 0..num_seeds-1.', lower_bound=1)
_SIZES = flags.DEFINE_list('sizes', None, 'Training-set sizes n (class-balanced, nested); default the '
                           'whole training set.')


def on_canvas(data: Dataset, canvas: int, max_shift: int) -> Dataset:
  """An image dataset centred on a `canvas x canvas` zero image (extra margin below and right).

  Raises:
    ValueError: naming --max_shift and --canvas if an image shifted by max_shift leaves the canvas.
  """
  height, width = data.grid
  need = max(height, width) + 2 * max_shift
  if canvas < need:
    raise ValueError(f'max_shift={max_shift}: a centred {height}x{width} image leaves the '
                     f'canvas={canvas}; need --canvas >= {need}')
  offsets = np.array([(canvas - height) // 2, (canvas - width) // 2])
  place = lambda x: translate.place(x, (canvas, canvas), np.broadcast_to(offsets, (len(x), 2)))
  return Dataset(f'{data.name} on a {canvas}x{canvas} canvas', place(data.x_train), data.y_train,
                 place(data.x_test), data.y_test, data.num_classes)


def groups_for(data: Dataset, archs, sizes, seeds, shifts, seen, circular):
  """One engine group per architecture: seen-shift (or whole-grid, fc_aug) augmentation, and the
  per-shift evaluation."""
  values = grids.arrays(data)
  groups = []
  for arch in archs:
    model = protocols.model('fc' if arch == 'fc_aug' else arch, FLAGS.dataset, data.num_classes,
                            sweep_flags.METHOD.value)
    groups.append(experiment.Group(
        name=arch, model=model, train=sweep_flags.train_config('fc' if arch == 'fc_aug' else arch),
        data=values,
        runs=tuple({'arch': arch, 'n': n, 'seed': s} for n in sizes for s in seeds),
        augment=shift_eval.random_shifts(shifts if arch == 'fc_aug' else seen, circular),
        evaluate=shift_eval.shift_evaluation(model.apply, shifts, circular, data.num_classes,
                                             sweep_flags.EVAL_BATCH_SIZE.value)))
  return groups


def main(argv):
  del argv
  device_flags.configure_devices()
  circular = protocols.is_paper(FLAGS.dataset)
  known = [a for a in ARCHS if not (circular and a in POOLED)]
  archs = sweep_flags.given_list('archs', _ARCHS.value,
                                 [a for a in known if a not in BY_NAME_ONLY])
  for arch in archs:
    if arch not in known:
      raise ValueError(f'archs: arch={arch!r} is unknown for dataset={FLAGS.dataset!r}; expected '
                       f'one of {known}')
  max_shift = _MAX_SHIFT.value or (10 if circular else 4)
  shifts = shift_grid(max_shift, 1 if circular else 2)
  seen, unseen = split_seen_unseen(shifts, _RULE.value, _RADIUS.value)
  if not len(seen) or not len(unseen):
    raise ValueError(f'rule={_RULE.value!r}, radius={_RADIUS.value!r}: with max_shift={max_shift} '
                     'the seen and the unseen shifts must both be non-empty')
  data = load_dataset(FLAGS.dataset, data_dir=FLAGS.data_dir, canvas=8)
  if not circular:
    data = on_canvas(data, _CANVAS.value, max_shift)
  sizes = sweep_flags.positive_ints('sizes', sweep_flags.given_list('sizes', _SIZES.value,
                                                                    [str(len(data.y_train))]))
  seeds = tuple(range(_NUM_SEEDS.value))
  groups = groups_for(data, archs, sizes, seeds, shifts, seen, circular)
  config = {'experiment': 'shift_generalization', 'dataset': FLAGS.dataset,
            'canvas': None if circular else _CANVAS.value, 'archs': list(archs), 'sizes': sizes,
            'seeds': seeds, 'max_shift': max_shift, 'rule': _RULE.value, 'radius': _RADIUS.value,
            'train': {g.name: vars(g.train) for g in groups},
            'method': sweep_flags.METHOD.value}
  records = experiment.run(groups, _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  print(render.write('shift_generalization', pathlib.Path(_WORKDIR.value), records))
