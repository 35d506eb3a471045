"""`contraction.executed` and `counting.contraction_methods` name what runs."""

from lib.core import contraction, counting, layers, models, patterns


def test_executed_names_the_form_and_the_resolved_method():
  conv = patterns.convolution((8, 8), 3, 1, 'SAME', 1)
  assert contraction.executed(conv, 'materialized', 'gather') == 'materialized'
  assert contraction.executed(conv, 'factored', 'gather') == 'gather'
  assert contraction.executed(conv) == contraction.resolve_method('auto')
  assert contraction.executed(patterns.fully_connected((8, 8), ())) == 'dense'


def test_contraction_methods_lists_every_pattern_layer_with_its_method():
  model = layers.serial(layers.Conv(4, 3, method='gather'), layers.Relu,
                        layers.Local(4, 3, method='slices'), layers.Flatten, layers.Dense(3))
  assert counting.contraction_methods(model, (6, 6, 1)) == [
      'Conv: gather', 'Local: slices', 'Dense: dense']
  assert len(counting.contraction_methods(models.by_name('cnn'), (28, 28, 1))) == 4
