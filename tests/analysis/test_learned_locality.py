"""The learned-locality scores of a dense twin, the S-FC, and the section's marks."""

import chex
import jax
import pytest

from lib.analysis import learned_locality as ll
from lib.core import inits, models, projection
from lib.report import locality_section


@pytest.fixture(scope='module')
def twin_at_cnn():
  """An image CNN (8x8x2 inputs), its dense twin, and both parameter sets (twin = to_dense(cnn))."""
  shape = (8, 8, 2)
  cnn = models.efcn_cnn(3, channels=(4, 5))
  twin = models.dense_twin(cnn, shape)
  theta = inits.fan_in_uniform(cnn)(jax.random.key(0), shape)
  return cnn, twin, theta, projection.embedding(cnn, twin, shape).to_dense(theta)


def test_the_dense_twin_computes_the_cnn(twin_at_cnn):
  cnn, twin, theta, dense = twin_at_cnn
  x = jax.random.normal(jax.random.key(1), (3, 8, 8, 2))
  with jax.default_matmul_precision('highest'):
    chex.assert_trees_all_close(twin.apply(dense, x), cnn.apply(theta, x), rtol=1e-5, atol=1e-6)


def test_a_twin_at_the_cnn_scores_local_and_tied(twin_at_cnn):
  *_, dense = twin_at_cnn
  rows = ll.dense_rows(dense[0]['kernel'])
  chex.assert_shape(rows, (4 * 4 * 4, 8, 8, 2))  # [out positions * channels, *in grid, C_in]
  got = ll.scores(rows, (3, 3))
  assert float(got['locality']) == pytest.approx(1.0, abs=1e-6)
  assert float(got['tying']) > 0.9  # border units see a cut kernel
  assert float(got['zero_fraction']) > 0.8


def test_s_fc_is_the_fully_connected_counterpart_of_s_conv():
  net = models.s_fc(10, in_shape=(32, 32, 3), alpha=2)
  params = jax.eval_shape(lambda: net.init(jax.random.key(0), (32, 32, 3))[1])
  chex.assert_shape([params[1]['kernel'], params[3]['kernel'], params[5]['kernel']],
                    [(3072, 512), (512, 48), (48, 10)])


def test_the_summary_marks_unconverged_rows_and_labels_the_reduced_protocol():
  base = {'part': 'locality', 'arch': 'fc', 'n': 10, 'seed': 0, 'diverged': False,
          'test_accuracy': 0.5, 'locality': 0.3, 'tying': 0.5}
  records = [dict(base, shifted=False, train_accuracy=0.99, converged=True),
             dict(base, shifted=True, train_accuracy=0.95, converged=False)]
  text = locality_section.tables(records, {'mlp': {'locality': 0.2, 'tying': 0.4}},
                                 {'protocol': 'cpu', 'datasets': {'locality': 'mnist1d'}})
  rows = [line for line in text.splitlines() if line.startswith('| fc |')]
  assert '| False | 10 | 1 | 0 |' in rows[0]
  assert '| True | 10 | 1 (1 unconverged*) |' in rows[1]
  assert 'REDUCED' in text and 'not trained to convergence' in text
  assert 'locality 0.200, tying 0.400' in text
