"""The reproduction catalogue: which runs `launch.py --experiment=reproduce` makes, and what of the
results page (`experiments/results.md`) and experiments/figures/ each one produces. Pure data.

An entry's `key` names its work directory (`ROOT/KEY`) and its section of the results page, which
shows its tables in order and links its figures. Adding a run is one line.
"""

import dataclasses
import shlex


@dataclasses.dataclass(frozen=True)
class Entry:
  """One run of the reproduction.

  Attributes:
    key: its work directory under the root, and its section of the results page.
    experiment: the module under experiments/ (`launch.py --experiment=...`).
    flags: the command-line flags beyond `--workdir`.
    tables: the tables its section shows, by the names its experiment's section renders
      (`lib.report.render.SECTIONS`).
    figures: `{figure name in its section: file under experiments/figures/}`, the committed figures
      it redraws.
  """
  key: str
  experiment: str
  flags: tuple[str, ...] = ()
  tables: tuple[str, ...] = ('summary',)
  figures: dict[str, str] = dataclasses.field(default_factory=dict)


ENTRIES = (
    Entry('budget', 'budget', figures={'budget': 'budget.png'}),
    Entry('count', 'count'),
    Entry('dense_cost', 'dense_cost', figures={'dense_matrices': 'dense_matrices.png'}),
    Entry('dimension_scaling', 'dimension_scaling',
          figures={'dimension_scaling': 'dimension_scaling.png'}),
    Entry('dimension_scaling_standard', 'dimension_scaling',
          ('--models=standard', '--archs=fc,lcn,cnn', '--num_seeds=2')),
    Entry('emergence', 'emergence', figures={'emergence_weights': 'emergence_weights.png',
                                             'emergence_gain': 'emergence_gain.png',
                                             'emergence_time': 'emergence_time.png'}),
    Entry('emergence_paper', 'emergence', ('--paper', '--archs=fc', '--gains=10')),
    Entry('kernels', 'kernels', tables=('differences', 'accuracies'),
          figures={'kernel_difference': 'kernel_difference.png'}),
    Entry('layer_speed', 'layer_speed'),
    Entry('learned_locality', 'learned_locality', figures={'learned_locality': 'learned_locality.png'}),
    Entry('permutation', 'permutation', tables=('summary', 'paper')),
    Entry('permutation_digits', 'permutation', ('--dataset=digits',),
          figures={'permutation': 'permutation_digits.png'}),
    Entry('receptive_field', 'receptive_field', figures={'receptive_field': 'receptive_field.png'}),
    Entry('sample_efficiency', 'sample_efficiency', tables=('summary', 'by_n'),
          figures={'sample_efficiency': 'sample_efficiency.png'}),
    Entry('sample_efficiency_digits28', 'sample_efficiency', ('--dataset=digits28',),
          tables=('summary', 'by_n'),
          figures={'sample_efficiency': 'sample_efficiency_digits28.png'}),
    Entry('scale', 'scale'),
    Entry('shift_generalization', 'shift_generalization', tables=('summary', 'by_ring'),
          figures={'shift_accuracy': 'shift_accuracy_digits.png',
                   'seen_unseen': 'seen_unseen_digits.png'}),
    Entry('shift_generalization_mnist1d', 'shift_generalization', ('--dataset=mnist1d',),
          tables=('summary', 'by_ring')),
    Entry('shift_generalization_s1', 'shift_generalization', ('--archs=cnn_gap_s1',),
          tables=('summary', 'by_ring')),
    Entry('sweep_speed', 'sweep_speed'),
)
INDEX = 'experiments'  # the results page's section listing every entry


def by_key(entries=ENTRIES) -> dict[str, Entry]:
  """`{key: entry}`; ValueError if two entries share a key."""
  out = {}
  for entry in entries:
    if entry.key in out or entry.key == INDEX:
      raise ValueError(f'catalogue: key={entry.key!r} is used twice')
    out[entry.key] = entry
  return out


def command(experiment: str, flags=()) -> str:
  """The command line the results page shows for a run: `python launch.py --experiment=E FLAGS`."""
  return shlex.join(['python', 'launch.py', f'--experiment={experiment}', *flags])
