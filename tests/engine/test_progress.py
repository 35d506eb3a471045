"""The progress tracker's ETA: weighted by each group's cost, measured after the first callback."""

import pytest

from lib.engine import progress


class Clock:
  """A settable stand-in for time.time."""

  def __init__(self):
    self.now = 0.0

  def __call__(self):
    return self.now


@pytest.fixture
def clock(monkeypatch):
  fake = Clock()
  monkeypatch.setattr(progress.time, 'time', fake)
  return fake


def test_eta_weighs_groups_by_cost_and_skips_the_first_block(clock):
  tracker = progress.Tracker(total_runs=3, already=0, every_s=1e9)
  tracker.add_group('cheap', runs=2, cost_per_run=1.0, steps=100)
  tracker.add_group('costly', runs=1, cost_per_run=3.0, steps=100)
  tracker.start_chunk('cheap', 'cheap (2 runs)', runs=2)
  clock.now = 30.0  # a slow first block: warm-up
  tracker.steps_done(10)
  assert tracker.eta() is None  # one callback: no rate yet
  clock.now = 40.0
  tracker.steps_done(20)
  # 10 s for 10 steps of 2 runs of cost 1 over 100 steps: 50 s per unit of cost.
  # Left: cheap 2 * (1 - 0.2) = 1.6 units, costly 3 units.
  assert tracker.eta() == pytest.approx(50 * (1.6 + 3))
  clock.now = 120.0
  tracker.end_chunk()  # the cheap group's measured rate: 120 s / 2 units = 60 s per unit
  assert tracker.eta() == pytest.approx(60 * 3)


def test_a_measured_group_keeps_its_own_rate(clock):
  tracker = progress.Tracker(total_runs=4, already=0, every_s=1e9)
  tracker.add_group('a', runs=2, cost_per_run=1.0, steps=10)
  tracker.add_group('b', runs=2, cost_per_run=1.0, steps=10)
  for name, seconds in (('a', 10.0), ('b', 40.0)):
    tracker.start_chunk(name, name, runs=1)
    clock.now += seconds
    tracker.end_chunk()
  assert tracker.eta() == pytest.approx(10.0 + 40.0)  # one run left of each, at its own rate
