"""Counts a model's free parameters, dense-equivalent entries, structural zeros and multiply-adds."""

from absl import flags

from lib.core import counting, models

_MODEL = flags.DEFINE_enum('model', 'mnist1d_cnn', sorted(models.ZOO), 'Which model to count.')
_IN_SHAPE = flags.DEFINE_list('in_shape', ['40', '1'], 'Input shape without the batch: *grid, C.')


def main(argv):
  del argv
  try:
    in_shape = tuple(int(v) for v in _IN_SHAPE.value)
  except ValueError:
    raise ValueError(f'--in_shape={",".join(_IN_SHAPE.value)}: expected integers') from None
  model = models.by_name(_MODEL.value)
  print(f'{_MODEL.value} on inputs {in_shape} (per example; W is the dense-equivalent matrix of '
        'each pattern layer):')
  print(counting.cost_table(model, in_shape))
