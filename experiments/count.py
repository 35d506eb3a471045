"""Counts a model's free parameters, dense-equivalent entries, structural zeros and multiply-adds.

Prints the per-layer table; with --workdir also writes it there as count.json and summary.md.
"""

import json
import pathlib

from absl import flags

from lib.core import counting, models
from lib.report import render

_MODEL = flags.DEFINE_enum('model', 'mnist1d_cnn', sorted(models.ZOO), 'Which model to count.')
_IN_SHAPE = flags.DEFINE_list('in_shape', ['40', '1'], 'Input shape without the batch: *grid, C.')
_WORKDIR = flags.DEFINE_string('workdir', None, 'If given, count.json and summary.md are written '
                               'here.')
flags.register_validator('workdir', lambda path: path is None or bool(path.strip()),
                         '--workdir must not be empty')


def main(argv):
  del argv
  try:
    in_shape = tuple(int(v) for v in _IN_SHAPE.value)
  except ValueError:
    raise ValueError(f'--in_shape={",".join(_IN_SHAPE.value)}: expected integers') from None
  model = models.by_name(_MODEL.value)
  print(f'{_MODEL.value} on inputs {in_shape} (per example; W is the dense-equivalent matrix of '
        'each pattern layer):')
  table = counting.cost_table(model, in_shape)
  print(table)
  if _WORKDIR.value:
    workdir = pathlib.Path(_WORKDIR.value)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / 'count.json').write_text(json.dumps(
        {'model': _MODEL.value, 'in_shape': in_shape, 'table': table}, indent=1))
    render.write('count', workdir)
