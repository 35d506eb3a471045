"""field_growth: the fields at a run's own initialisation are those of the parameters the engine starts
it from; annotations and exponents per training length."""

import jax
import numpy as np
import optax
import pytest

from lib.analysis import field_growth
from lib.analysis import receptive_field as rf
from lib.core import inits, models
from lib.engine import training


def _data(rng, n=8, size=12):
  x = rng.standard_normal((n, size, 1)).astype(np.float32)
  return {'x_train': x, 'y_train': np.arange(n, dtype=np.int32) % 3, 'x_test': x,
          'y_test': np.arange(n, dtype=np.int32) % 3}


@pytest.mark.parametrize('seed', [0, 3])
def test_init_fields_are_the_engines_starting_fields(seed):
  """A run that does not move (learning rate 0) ends at its init: its field is the recomputed one."""
  data = _data(np.random.default_rng(0))
  depth, width, classes, n = 2, 3, 3, 8
  model = models.conv_stack_classifier(depth, width, classes)
  stack = models.conv_stack(depth, width)
  config = training.TrainConfig(steps=1, eval_every=1, batch_size=4)
  train = training.make_train(
      model, config, training.identity_tag('cnn'), optimizer=optax.sgd(0.0),
      init=inits.he_normal(model),
      evaluate=lambda p, d: {'erf': rf.effective_field(stack, p[0], d['x_test'])})
  out = jax.jit(train)(seed, n, np.arange(n, dtype=np.int32), data)
  recomputed = field_growth.conv_init_fields(depth, width, classes, [seed], n, data['x_test'])
  np.testing.assert_allclose(recomputed[0], out['erf'], rtol=1e-5, atol=1e-7)
  other = field_growth.conv_init_fields(depth, width, classes, [seed + 1], n, data['x_test'])
  assert not np.allclose(other[0], out['erf'])


def test_annotate_and_exponents_recover_a_known_growth():
  """Fields of width ~ depth^0.5 at init and ~ depth^1 after training give those exponents."""
  depths, seeds, positions = (2, 4, 8), (0, 1), np.arange(64)

  def gaussian(std):
    return np.exp(-0.5 * ((positions - 32) / std) ** 2)

  init = {'seeds': list(seeds), 'fields': {str(d): [gaussian(np.sqrt(d))] * 2 for d in depths},
          'fc_maps': np.ones((2, 3, 64)).tolist()}
  records = [{'arch': 'cnn', 'depth': d, 'steps': 10, 'seed': s, 'erf': gaussian(d).tolist()}
             for d in depths for s in seeds]
  records.append({'arch': 'fc', 'depth': 2, 'steps': 10, 'seed': 1, 'unit_maps': init['fc_maps'][0]})
  annotated = field_growth.annotate(records, init, window=16)
  assert annotated[0]['erf_growth'] == pytest.approx(2 / np.sqrt(2), rel=1e-3)
  assert annotated[-1]['locality'] == pytest.approx(annotated[-1]['locality_init'])
  exponents = field_growth.exponents_by_length(annotated, depths, (10,))
  np.testing.assert_allclose(exponents['init'], [0.5, 0.5], atol=1e-3)
  np.testing.assert_allclose(exponents['10'], [1.0, 1.0], atol=1e-3)


def test_theory_covers_40_positions_from_depth_20():
  facts = field_growth.theory(24, 40)
  assert facts['composed'][:3] == [3, 5, 7] and facts['closed_form'][19] == 41
  assert facts['covering_depth'] == 20 and facts['paper_cnn_extent'] == [5, 9, 17]
