"""Sample efficiency: test accuracy of FC, LCN and CNN against training-set size n (any --dataset).

On MNIST-1D the architectures are the paper's MLP (fc), its CNN (cnn) and that CNN with untied weights
(lcn), trained with the paper's protocol (Adam 1e-2, batch 100, 6000 steps) on nested class-balanced
subsets of n examples, several seeds each, and evaluated on the 1000 test signals. Any other
`--dataset` (digits, tfds:NAME, npz:PATH) trains the image models fc, lcn, cnn and cnn_gap with the
image protocol (`lib.engine.protocols`); grid sizes above its training-set size become that size.
Writes results.jsonl, summary.csv, summary.md and sample_efficiency.png to --workdir.

The default grid is small enough for a 2-core CPU: on MNIST-1D n in {50, 100, 200, 500, 1000, 4000} x 3
seeds (about 7 minutes); on image datasets n in {100, 1000, 4000} x 2 seeds, one compiled call per
architecture, since an image run costs 10-40x an MNIST-1D one (a 28x28 default within 20 minutes).
`--grid=full` is n in {50, 100, 200, 500, 1000, 2000, 4000} x 5 seeds on any dataset. `--sizes` and
`--num_seeds` override either.
"""

import pathlib

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.data import load_dataset
from lib.engine import experiment, grids, protocols
from lib.report import render

FLAGS = flags.FLAGS

sweep_flags.define_dataset('mnist1d')
_WORKDIR = flags.DEFINE_string('workdir', 'runs/sample_efficiency', 'Where the sweep and its '
                               'summaries are written; re-running resumes it.')
_GRID = flags.DEFINE_enum('grid', 'default', list(grids.SAMPLE_EFFICIENCY_GRIDS),
                          'Which grid of sizes and seeds: default is n in {50, 100, 200, 500, '
                          '1000, 4000} x 3 seeds on mnist1d, n in {100, 1000, 4000} x 2 seeds on '
                          'image datasets; full is n in {50, 100, 200, 500, 1000, 2000, 4000} x 5 '
                          'seeds.')
_ARCHS = flags.DEFINE_list('archs', None, 'Architectures; default all of the dataset\'s: mnist1d '
                           'fc,lcn,cnn; image datasets fc,lcn,cnn,cnn_gap.')
_SIZES = flags.DEFINE_list('sizes', None, 'Training-set sizes; overrides the grid\'s.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', None, 'Seeds 0..num_seeds-1; overrides the grid\'s.',
                                  lower_bound=1)
_PERMUTE = flags.DEFINE_bool('permute_pixels', False, 'Apply one fixed permutation of the grid '
                             'positions to train and test alike.')
_PERMUTATION_SEED = flags.DEFINE_integer('permutation_seed', 0, 'Seed of that permutation.',
                                         lower_bound=0)


def grid_from_flags(num_train: int) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
  """`(archs, sizes, seeds)` from the flags; grid sizes above `num_train` become `num_train`."""
  archs = sweep_flags.given_list('archs', _ARCHS.value, protocols.model_names(FLAGS.dataset))
  sizes, seeds = grids.sample_efficiency_grid(_GRID.value, FLAGS.dataset, num_train)
  if _SIZES.value is not None:
    sizes = sweep_flags.positive_ints('sizes', _SIZES.value)
  if _NUM_SEEDS.value is not None:
    seeds = tuple(range(_NUM_SEEDS.value))
  return archs, sizes, seeds


def main(argv):
  del argv
  device_flags.configure_devices()
  data = load_dataset(FLAGS.dataset, data_dir=FLAGS.data_dir)
  archs, sizes, seeds = grid_from_flags(len(data.y_train))
  train = sweep_flags.train_config
  groups = grids.standard_groups(
      data, FLAGS.dataset, archs, sizes, seeds, train, sweep_flags.METHOD.value,
      permuted=True if _PERMUTE.value else None, permutation_seed=_PERMUTATION_SEED.value)
  config = {'experiment': 'sample_efficiency', 'dataset': FLAGS.dataset, 'archs': archs,
            'sizes': sizes, 'seeds': seeds, 'train': {g.name: vars(g.train) for g in groups},
            'method': sweep_flags.METHOD.value,
            'permute_pixels': _PERMUTE.value, 'permutation_seed': _PERMUTATION_SEED.value}
  records = experiment.run(groups, _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  print(render.write('sample_efficiency', pathlib.Path(_WORKDIR.value), records))
