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

from experiments import sweep_flags
from lib.analysis import plotting
from lib.data import load_dataset
from lib.engine import experiment, grids, protocols, summary

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


def drop_table(rows: list[dict]) -> str:
  """A Markdown table, one line per (arch, n): train and test accuracy without and with the
  permutation, and the test accuracy drop, in percent (mean +- std over seeds)."""
  by_key = {(r['arch'], r['n'], r['permuted']): r for r in rows}
  lines = ['| arch | n | runs | train acc (%) | test acc (%) | permuted train acc (%) | '
           'permuted test acc (%) | test drop (points) |', '|---|---:|---:|---:|---:|---:|---:|---:|']
  for arch, n in dict.fromkeys((r['arch'], r['n']) for r in rows):
    plain, perm = by_key.get((arch, n, False)), by_key.get((arch, n, True))
    if plain is None or perm is None:
      continue
    drop = 100 * (plain['test_accuracy_mean'] - perm['test_accuracy_mean'])
    lines.append(f"| {arch} | {n} | {plain['runs']} | {summary.cell(plain, 'train_accuracy')} | "
                 f"{summary.cell(plain, 'test_accuracy')} | {summary.cell(perm, 'train_accuracy')} | "
                 f"{summary.cell(perm, 'test_accuracy')} | {drop:.1f} |")
  return '\n'.join(lines) + '\n'


def main(argv):
  del argv
  sweep_flags.configure_devices()
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
  workdir = pathlib.Path(_WORKDIR.value)
  title = f'{FLAGS.dataset}: one fixed pixel permutation'
  rows = summary.summarize(records, keys=('arch', 'n', 'permuted'))
  summary.write_csv(rows, workdir / "summary.csv")
  table = drop_table(rows)
  (workdir / 'summary.md').write_text(f'# {title}\n\n{table}', encoding='utf-8')
  plotting.permutation_bars(rows, workdir / 'permutation.png', title)
  print(table)
