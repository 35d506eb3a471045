"""Shift generalization: training sets at seen shifts, consistency by hand, and a smoke test."""

import json

import numpy as np
import pytest

from lib.analysis import shift_eval
from lib.data import shift_grid, split_seen_unseen
from launch_helper import launch


def test_consistency_hand_computed():
  # Image 0 over 3 shifts predicts [0, 0, 1]: 2 of the 6 ordered pairs agree. Image 1 always 2: 1.
  predictions = np.array([[0, 2], [0, 2], [1, 2]])
  assert shift_eval.shift_consistency(predictions) == pytest.approx((2 / 6 + 1) / 2)


def test_consistency_needs_two_shifts():
  with pytest.raises(ValueError, match='need at least 2 shifts'):
    shift_eval.shift_consistency(np.zeros((1, 3), int))


@pytest.mark.parametrize('rule, radius', [('centre', 1), ('left', 0)])
def test_training_set_holds_only_seen_shifts(rule, radius):
  """A one-pixel image lands only at seen shifts; seen and unseen are disjoint and cover the grid."""
  shifts = shift_grid(2, 2)
  seen, unseen = split_seen_unseen(shifts, rule, radius)
  mask = shift_eval.seen_mask(shifts, seen)
  assert mask.sum() == len(seen) and not shift_eval.seen_mask(unseen, seen).any()
  impulse = np.zeros((1, 9, 9, 1), np.float32)
  impulse[0, 4, 4, 0] = 1
  x, y = shift_eval.shifted_copies(impulse, np.array([7]), seen, circular=False)
  landed = np.argwhere(x[..., 0] == 1)[:, 1:] - 4  # [len(seen), 2] the shift of each copy
  np.testing.assert_array_equal(landed, seen)
  assert (y == 7).all()
  x, _ = shift_eval.shifted_copies(impulse, np.array([7]), shifts, circular=False, copies=50)
  assert len(x) == 50 and set(map(tuple, np.argwhere(x[..., 0] == 1)[:, 1:] - 4)) <= set(
      map(tuple, shifts))


def test_tiny_run_writes_every_file_and_resumes(tmp_path):
  workdir = tmp_path / 'shift'
  flags = (f'--workdir={workdir}', '--canvas=12', '--max_shift=2', '--archs=fc,cnn_gap,fc_aug',
           '--sizes=40', '--num_seeds=1', '--steps=4', '--eval_every=2', '--batch_size=8',
           '--aug_copies=2')
  done = launch('shift_generalization', *flags)
  assert done.returncode == 0, done.stderr[-3000:]
  for name in ('config.json', 'results.jsonl', 'summary.csv', 'summary.md', 'shift_accuracy.png',
               'seen_unseen.png'):
    assert (workdir / name).stat().st_size > 0, name
  lines = (workdir / 'results.jsonl').read_text().splitlines()
  assert len(lines) == 3
  record = json.loads(lines[0])
  assert record['arch'] == 'fc' and record['n'] == 40 and record['train_examples'] == 40 * 9
  assert len(record['accuracy_per_shift']) == 25 and sum(record['seen']) == 9
  assert 0 <= record['consistency'] <= 1
  assert launch('shift_generalization', *flags).returncode == 0
  assert (workdir / 'results.jsonl').read_text().splitlines() == lines  # resumed: nothing retrained


def test_digit_off_canvas_refused(tmp_path):
  done = launch('shift_generalization', f'--workdir={tmp_path / "w"}', '--canvas=12',
                '--max_shift=3')
  assert done.returncode != 0 and 'max_shift=3: a centred 8x8 digit leaves the canvas=12' in done.stderr
  assert not (tmp_path / 'w').exists()
