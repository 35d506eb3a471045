"""Pixel permutation: every architecture trained with and without one fixed permutation of positions.

One grid on the engine with a `permuted` axis. A fixed permutation of grid positions, applied to train
and test alike, leaves an FC network's problem unchanged (its first layer can absorb the permutation,
and Adam/SGD are equivariant to it), but destroys the neighbourhoods that LCN and CNN layers assume.
Writes results.jsonl, summary.csv and summary.md (train and test accuracy, and the drop) and
permutation.png (test accuracy bars, unpermuted vs permuted, per architecture) to --workdir.

`--dataset=mnist1d` uses the MNIST-1D paper's MLP, LCN and CNN; any other dataset (digits on a 24x24
canvas, tfds:NAME, npz:PATH) the image models fc, lcn, cnn and cnn_gap with the image protocol.
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
_WORKDIR = flags.DEFINE_string('workdir', 'runs/permutation', 'Where the runs and the summaries are '
                               'written; re-running resumes.')
_ARCHS = flags.DEFINE_list('archs', None, 'Architectures; default all of the dataset\'s: mnist1d '
                           'fc,lcn,cnn; image datasets fc,lcn,cnn,cnn_gap.')
_SIZES = flags.DEFINE_list('sizes', None, 'Training-set sizes; default the whole training set.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 2, 'Seeds 0..num_seeds-1.', lower_bound=1)
_PERMUTATION_SEED = flags.DEFINE_integer('permutation_seed', 0, 'Seed of the fixed permutation.',
                                         lower_bound=0)


def main(argv):
  del argv
  device_flags.configure_devices()
  data = load_dataset(FLAGS.dataset, data_dir=FLAGS.data_dir)
  archs = sweep_flags.given_list('archs', _ARCHS.value, protocols.model_names(FLAGS.dataset))
  sizes = sweep_flags.positive_ints('sizes', sweep_flags.given_list('sizes', _SIZES.value,
                                                                    [str(len(data.y_train))]))
  seeds = tuple(range(_NUM_SEEDS.value))
  train = sweep_flags.train_config
  groups = [g for permuted in (False, True) for g in grids.standard_groups(
      data, FLAGS.dataset, archs, sizes, seeds, train, sweep_flags.METHOD.value, permuted=permuted,
      permutation_seed=_PERMUTATION_SEED.value)]
  config = {'experiment': 'permutation', 'dataset': FLAGS.dataset, 'archs': archs, 'sizes': sizes,
            'seeds': seeds, 'train': {g.name: vars(g.train) for g in groups},
            'method': sweep_flags.METHOD.value,
            'permutation_seed': _PERMUTATION_SEED.value}
  records = experiment.run(groups, _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  print(render.write('permutation', pathlib.Path(_WORKDIR.value), records))
