"""Pixel permutation: every architecture trained with and without one fixed permutation of positions.

Two sweeps of `lib.engine.sweep.run_sweep` on the same grid, in `--workdir/unpermuted` and
`--workdir/permuted` (each resumable). A fixed permutation of grid positions, applied to train and
test alike, leaves an FC network's problem unchanged (its first layer can absorb the permutation, and
Adam/SGD are equivariant to it), but destroys the neighbourhoods that LCN and CNN layers assume.
Writes summary.csv and summary.md (train and test accuracy, and the drop) and permutation.png (test
accuracy bars, unpermuted vs permuted, per architecture) to --workdir.

`--dataset=mnist1d` uses the MNIST-1D paper's MLP, LCN and CNN; any other dataset (digits on a 24x24
canvas, tfds:NAME, npz:PATH) the image models fc, lcn, cnn and cnn_gap, with `lib.engine.protocols`' shorter
protocol unless the training flags are given.
"""

import csv
import pathlib

import jax
from absl import flags, logging

from experiments import sweep_flags
from lib.analysis import plotting
from lib.engine import protocols, summary, sweep
from lib.data import load_dataset

FIELDS = ('arch', 'n', 'permuted', 'runs', 'diverged', 'test_accuracy_mean', 'test_accuracy_std',
          'train_accuracy_mean', 'train_accuracy_std')

_WORKDIR = flags.DEFINE_string('workdir', 'runs/permutation', 'Where the two sweeps and the '
                               'summaries are written; re-running resumes them.')
_DATASET = flags.DEFINE_string('dataset', 'mnist1d', 'A lib.data.load_dataset spec: mnist1d, digits, '
                                'tfds:NAME[:CONFIG] or npz:PATH.')
_ARCHS = flags.DEFINE_list('archs', None, 'Architectures (short names); default all of the '
                           'dataset\'s: mnist1d fc,lcn,cnn; others fc,lcn,cnn,cnn_gap.')
_SIZES = flags.DEFINE_list('sizes', None, 'Training-set sizes; default the whole training set.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 2, 'Seeds 0..num_seeds-1.')
_PERMUTATION_SEED = flags.DEFINE_integer('permutation_seed', 0, 'Seed of the fixed permutation.')


def specs_from_flags(num_train: int) -> dict[bool, sweep.SweepSpec]:
  """`{permuted: spec}`, the two sweeps the flags describe; ValueError naming the flag for bad values.

  Args:
    num_train: the dataset's training-set size, the default size.
  """
  dataset = _DATASET.value
  names = protocols.model_names(dataset)
  archs = list(names) if _ARCHS.value is None else _ARCHS.value
  for name in archs:
    if name not in names:
      raise ValueError(f'archs: arch={name!r} is unknown for dataset={dataset!r}; expected one of '
                       f'{list(names)}')
  raw_sizes = [num_train] if _SIZES.value is None else _SIZES.value
  try:
    sizes = tuple(int(v) for v in raw_sizes)
  except ValueError:
    raise ValueError(f'sizes={_SIZES.value!r}: expected a comma-separated list of ints') from None
  if _NUM_SEEDS.value < 1:
    raise ValueError(f'num_seeds={_NUM_SEEDS.value!r}: must be at least 1')
  return {permuted: sweep.SweepSpec(
      archs=tuple(names[a] for a in archs), sizes=sizes, seeds=tuple(range(_NUM_SEEDS.value)),
      train=sweep_flags.train_config(), dataset=dataset, permute_pixels=permuted,
      permutation_seed=_PERMUTATION_SEED.value, method=sweep_flags.METHOD.value)
          for permuted in (False, True)}


def write_summaries(records: dict[bool, list[dict]], workdir: pathlib.Path,
                    title: str) -> list[dict]:
  """Writes summary.csv, summary.md and permutation.png; returns the rows.

  Args:
    records: `{permuted: run records of that sweep}`.
    workdir: the experiment's directory.
    title: the figure and table title.

  Returns:
    `lib.engine.summary.summarize` rows (grouped by arch and n) with a `permuted` field, unpermuted first.
  """
  rows = []
  for permuted, recs in records.items():
    rows += [dict(row, permuted=permuted) for row in summary.summarize(recs)]
  with open(workdir / 'summary.csv', 'w', newline='', encoding='utf-8') as f:
    writer = csv.DictWriter(f, FIELDS, extrasaction='ignore')
    writer.writeheader()
    writer.writerows(rows)
  (workdir / 'summary.md').write_text(f'# {title}\n\n' + drop_table(rows))
  plotting.permutation_bars(rows, workdir / 'permutation.png', title)
  return rows


def drop_table(rows: list[dict]) -> str:
  """A Markdown table, one line per (arch, n): train and test accuracy without and with the
  permutation, and the test accuracy drop, in percent (mean +- std over seeds)."""
  by_key = {(r['arch'], r['n'], r['permuted']): r for r in rows}
  lines = ['| arch | n | runs | train acc (%) | test acc (%) | permuted train acc (%) | '
           'permuted test acc (%) | test drop (points) |', '|---|---:|---:|---:|---:|---:|---:|---:|']

  def pct(row, metric):
    return f"{100 * row[f'{metric}_mean']:.1f} +- {100 * row[f'{metric}_std']:.1f}"

  for arch, n in dict.fromkeys((r['arch'], r['n']) for r in rows):
    plain, perm = by_key.get((arch, n, False)), by_key.get((arch, n, True))
    if plain is None or perm is None:
      continue
    drop = 100 * (plain['test_accuracy_mean'] - perm['test_accuracy_mean'])
    lines.append(f"| {arch} | {n} | {plain['runs']} | {pct(plain, 'train_accuracy')} | "
                 f"{pct(plain, 'test_accuracy')} | {pct(perm, 'train_accuracy')} | "
                 f"{pct(perm, 'test_accuracy')} | {drop:.1f} |")
  return '\n'.join(lines) + '\n'


def run(specs: dict[bool, sweep.SweepSpec], data, workdir: str, overwrite: bool = False,
        chunk_size: int = 8) -> list[dict]:
  """Runs (or resumes) both sweeps on `data` and writes the summaries (process 0 only); returns the
  rows."""
  records = {}
  for permuted, spec in specs.items():
    subdir = pathlib.Path(workdir) / ('permuted' if permuted else 'unpermuted')
    records[permuted] = sweep.run_sweep(spec, str(subdir), overwrite=overwrite,
                                        chunk_size=chunk_size, data=data)
  if jax.process_index() != 0:
    return []
  short = {v: k for k, v in protocols.model_names(specs[False].dataset).items()}
  for recs in records.values():
    for record in recs:
      record['arch'] = short.get(record['arch'], record['arch'])
  title = f'{specs[False].dataset}: one fixed pixel permutation'
  return write_summaries(records, pathlib.Path(workdir), title)


def main(argv):
  del argv
  sweep_flags.configure_devices()
  protocols.set_train_defaults(_DATASET.value)
  data = load_dataset(_DATASET.value)
  specs = specs_from_flags(data.x_train.shape[0])
  rows = run(specs, data, _WORKDIR.value, sweep_flags.OVERWRITE.value, sweep_flags.CHUNK_SIZE.value)
  table = drop_table(rows)
  logging.info('Summary:\n%s', table)
  print(table)
