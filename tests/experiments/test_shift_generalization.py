"""Shift generalization: training sets at seen shifts, consistency by hand, and a smoke test."""

import json

import jax
import numpy as np
import pytest

from lib.analysis import shift_eval
from lib.data import shift, shift_grid, split_seen_unseen
from launch_helper import launch


def test_consistency_hand_computed():
  # Image 0 over 3 shifts predicts [0, 0, 1]: 2 of the 6 ordered pairs agree. Image 1 always 2: 1.
  predictions = np.array([[0, 2], [0, 2], [1, 2]])
  assert float(shift_eval.consistency(predictions, 3)) == pytest.approx((2 / 6 + 1) / 2)


def test_consistency_needs_two_shifts():
  with pytest.raises(ValueError, match='need at least 2 shifts'):
    shift_eval.consistency(np.zeros((1, 3), int), 3)


@pytest.mark.parametrize('circular', [False, True])
def test_shift_examples_matches_the_host_translation(circular):
  rng = np.random.default_rng(0)
  x = rng.random((6, 7, 5, 2), dtype=np.float32)
  offsets = rng.integers(-3, 4, (6, 2))
  expected = np.stack([shift(x[i:i + 1], offsets[i], circular)[0] for i in range(6)])
  np.testing.assert_array_equal(shift_eval.shift_examples(x, offsets, circular), expected)


@pytest.mark.parametrize('rule, radius', [('centre', 1), ('left', 0)])
def test_augmentation_lands_only_at_seen_shifts(rule, radius):
  """A one-pixel image lands only at seen shifts, and at every one of them; seen and unseen are
  disjoint."""
  shifts = shift_grid(2, 2)
  seen, unseen = split_seen_unseen(shifts, rule, radius)
  assert shift_eval.seen_mask(shifts, seen).sum() == len(seen)
  assert not shift_eval.seen_mask(unseen, seen).any()
  impulse = np.zeros((400, 9, 9, 1), np.float32)
  impulse[:, 4, 4, 0] = 1
  moved = np.asarray(shift_eval.random_shifts(seen, circular=False)(jax.random.key(0), impulse))
  landed = {tuple(p) for p in np.argwhere(moved[..., 0] == 1)[:, 1:] - 4}
  assert landed == {tuple(p) for p in seen}


def test_tiny_run_writes_every_file_and_resumes(tmp_path):
  workdir = tmp_path / 'shift'
  flags = (f'--workdir={workdir}', '--canvas=12', '--max_shift=2',
           '--archs=fc,cnn_gap,cnn_blurpool,fc_aug', '--sizes=40', '--num_seeds=1', '--steps=4', '--eval_every=2', '--batch_size=8')
  done = launch('shift_generalization', *flags)
  assert done.returncode == 0, done.stderr[-3000:]
  for name in ('config.json', 'results.jsonl', 'summary.csv', 'summary.md', 'shift_accuracy.png',
               'seen_unseen.png'):
    assert (workdir / name).stat().st_size > 0, name
  lines = (workdir / 'results.jsonl').read_text().splitlines()
  assert len(lines) == 4
  record = next(r for r in map(json.loads, lines) if r['arch'] == 'fc')
  assert record['n'] == 40
  assert len(record['accuracy_per_shift']) == 25
  assert 0 <= record['consistency'] <= 1
  table = (workdir / 'summary.md').read_text()
  assert 'unseen over seen accuracy (%)' in table and '| cnn_blurpool | 40 | 1 (1 unconverged*)' in table
  assert '| arch | n | ring 0 | ring 1 | ring 2 |' in table  # max_shift=2: rings 0 to 2
  assert launch('shift_generalization', *flags).returncode == 0
  assert (workdir / 'results.jsonl').read_text().splitlines() == lines  # resumed: nothing retrained


def test_digit_off_canvas_refused(tmp_path):
  done = launch('shift_generalization', f'--workdir={tmp_path / "w"}', '--canvas=12',
                '--max_shift=3')
  assert done.returncode != 0 and 'max_shift=3: a centred 8x8 image leaves the canvas=12' in done.stderr
  assert not (tmp_path / 'w').exists()


def test_mnist1d_default_archs_leave_out_the_pooled_cnns(tmp_path):
  # The default archs pass validation on mnist1d: the run stops at the next check, not at the archs.
  done = launch('shift_generalization', f'--workdir={tmp_path / "d"}', '--dataset=mnist1d',
                '--max_shift=1')
  assert done.returncode == 2 and 'seen and the unseen shifts' in done.stderr, done.stderr[-3000:]
  refused = launch('shift_generalization', f'--workdir={tmp_path / "r"}', '--dataset=mnist1d',
                   '--archs=cnn_blurpool')
  assert refused.returncode == 2 and "arch='cnn_blurpool' is unknown" in refused.stderr


def test_ring_accuracy_by_hand():
  shifts = shift_grid(1, 2)  # ring 0: (0, 0); ring 1: the other 8 shifts
  accuracy = np.where(np.abs(shifts).max(-1) == 0, 0.9, 0.5)
  accuracy[0] = 0.1  # one shift of ring 1 lower: ring 1's mean is (7 * 0.5 + 0.1) / 8
  np.testing.assert_allclose(shift_eval.ring_accuracy(accuracy, shifts), [0.9, 0.45])
