"""Sample efficiency: test accuracy of FC, LCN and CNN against training-set size n (any --dataset).

The three architectures are the MNIST-1D paper's MLP (FC), its CNN (CNN) and that CNN with untied
weights (LCN), trained with the paper's protocol (Adam 1e-2, batch 100, 6000 steps) on nested
class-balanced subsets of n examples, several seeds each, and evaluated on the 1000 test signals.
Writes results.jsonl, summary.csv, summary.md and sample_efficiency.png to --workdir.

Any other `--dataset` (digits, tfds:NAME, npz:PATH) trains the image models fc, lcn, cnn and cnn_gap
with `lib.engine.protocols`' shorter protocol unless the training flags are given; grid sizes above its
training-set size are replaced by that size.

The default grid is small enough for a 2-core CPU in a few minutes; `--grid=full` is
n in {50, 100, 200, 500, 1000, 2000, 4000} x 5 seeds. `--sizes` and `--num_seeds` override either.
"""

import pathlib

import jax
from absl import flags, logging

from experiments import sweep_flags
from lib.analysis import plotting
from lib.engine import protocols, summary, sweep
from lib.data import load_dataset

GRIDS = {
    'default': ((50, 100, 200, 500, 1000, 4000), 3),
    'full': ((50, 100, 200, 500, 1000, 2000, 4000), 5),
}

_WORKDIR = flags.DEFINE_string('workdir', 'runs/sample_efficiency', 'Where the sweep and its '
                               'summaries are written; re-running resumes it.')
_GRID = flags.DEFINE_enum('grid', 'default', list(GRIDS), 'Which grid of sizes and seeds.')
_DATASET = flags.DEFINE_string('dataset', 'mnist1d', 'A lib.data.load_dataset spec: mnist1d, digits, '
                                'tfds:NAME[:CONFIG] or npz:PATH.')
_ARCHS = flags.DEFINE_list('archs', None, 'Architectures (short names); default all of the '
                           'dataset\'s: mnist1d fc,lcn,cnn; others fc,lcn,cnn,cnn_gap.')
_SIZES = flags.DEFINE_list('sizes', None, 'Training-set sizes; overrides the grid\'s.')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', None, 'Seeds 0..num_seeds-1; overrides the grid\'s.')
_PERMUTE = flags.DEFINE_bool('permute_pixels', False, 'Apply one fixed permutation of the grid '
                             'positions to train and test alike.')
_PERMUTATION_SEED = flags.DEFINE_integer('permutation_seed', 0, 'Seed of that permutation.')


def spec_from_flags(num_train: int) -> sweep.SweepSpec:
  """The sweep the flags describe; ValueError naming the flag for bad values.

  Args:
    num_train: the dataset's training-set size; larger grid sizes are replaced by it.
  """
  names = protocols.model_names(_DATASET.value)
  archs = list(names) if _ARCHS.value is None else _ARCHS.value
  for name in archs:
    if name not in names:
      raise ValueError(f'archs: arch={name!r} is unknown for dataset={_DATASET.value!r}; expected '
                       f'one of {list(names)}')
  sizes, num_seeds = GRIDS[_GRID.value]
  sizes = tuple(sorted({min(n, num_train) for n in sizes}))
  if _SIZES.value is not None:
    try:
      sizes = tuple(int(v) for v in _SIZES.value)
    except ValueError:
      raise ValueError(f'sizes={_SIZES.value!r}: expected a comma-separated list of ints') from None
  if _NUM_SEEDS.value is not None:
    num_seeds = _NUM_SEEDS.value
  if num_seeds < 1:
    raise ValueError(f'num_seeds={num_seeds!r}: must be at least 1')
  return sweep.SweepSpec(archs=tuple(names[a] for a in archs), sizes=tuple(sizes),
                         seeds=tuple(range(num_seeds)), train=sweep_flags.train_config(),
                         dataset=_DATASET.value,
                         permute_pixels=_PERMUTE.value, permutation_seed=_PERMUTATION_SEED.value,
                         method=sweep_flags.METHOD.value)


def write_summaries(records: list[dict], workdir: pathlib.Path, title: str,
                    dataset: str) -> list[dict]:
  """Writes summary.csv, summary.md and sample_efficiency.png; returns the summary rows."""
  names = {v: k.upper() for k, v in protocols.model_names(dataset).items()}
  for record in records:
    record['arch'] = names.get(record['arch'], record['arch'])
  rows = summary.summarize(records)
  summary.write_csv(rows, workdir / 'summary.csv')
  (workdir / 'summary.md').write_text(f'# {title}\n\n' + summary.markdown_table(rows))
  plotting.sample_efficiency(rows, workdir / 'sample_efficiency.png', title)
  return rows


def run(spec: sweep.SweepSpec, data, workdir: str, overwrite: bool = False,
        chunk_size: int = 8) -> list[dict]:
  """Runs (or resumes) the sweep on `data` and writes its summaries (process 0 only); returns the
  rows."""
  records = sweep.run_sweep(spec, workdir, overwrite=overwrite, chunk_size=chunk_size, data=data)
  if jax.process_index() != 0:
    return []
  title = spec.dataset + (' (permuted positions)' if spec.permute_pixels else '')
  return write_summaries(records, pathlib.Path(workdir), title, spec.dataset)


def main(argv):
  del argv
  sweep_flags.configure_devices()
  protocols.set_train_defaults(_DATASET.value)
  data = load_dataset(_DATASET.value)
  spec = spec_from_flags(data.x_train.shape[0])
  rows = run(spec, data, _WORKDIR.value, sweep_flags.OVERWRITE.value, sweep_flags.CHUNK_SIZE.value)
  logging.info('Summary:\n%s', summary.markdown_table(rows))
  print(summary.markdown_table(rows))
