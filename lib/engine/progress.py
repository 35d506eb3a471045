"""Progress lines with an ETA weighted by each remaining chunk's cost.

The cost of a run is its multiply-adds (the model's factored MACs per example, times three for the
forward and backward pass, times the examples it trains on and evaluates). The tracker measures seconds
per unit of cost while chunks train (from the training program's progress callbacks, compile time
excluded: it is measured apart, and every line says how much of the elapsed time it took), and
estimates the rest from the rate of the same group where one was measured, else from the rate of
everything trained so far. Before any chunk has finished, the rate is
that of the running chunk since its first progress callback, so that the first steps (data transfer,
warm-up) do not set it.
"""

import dataclasses
import time

from absl import logging


def clock(seconds: float) -> str:
  """A duration: `00m42s`, `03m05s`, `1h02m00s`."""
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  return (f'{hours}h' if hours else '') + f'{rest // 60:02d}m{rest % 60:02d}s'


@dataclasses.dataclass
class _Group:
  runs: int
  cost_per_run: float
  steps: int
  done: int = 0
  seconds: float = 0.0
  cost_done: float = 0.0


class Tracker:
  """Counts finished runs and reports progress at most every `every_s` seconds.

  Args:
    total_runs: runs in the grid (including those already recorded).
    already: runs already recorded.
    every_s: seconds between progress lines during a chunk.
  """

  def __init__(self, total_runs: int, already: int, every_s: float = 20.0):
    self._groups: dict[str, _Group] = {}
    self._total, self._finished = total_runs, already
    self._every = every_s
    self._start = time.time()
    self._compile_s, self._compiles, self._from_cache = 0.0, 0, 0
    self._chunk = None
    self._last_line = 0.0

  def add_group(self, name: str, runs: int, cost_per_run: float, steps: int) -> None:
    """Registers a group of `runs` pending runs, each costing `cost_per_run` over `steps` steps."""
    self._groups[name] = _Group(runs, cost_per_run, steps)

  def compiled(self, seconds: float, cache: str = 'off') -> None:
    """Records one group's compile time, and whether its program was read from the compilation cache
    (`cache` is 'read')."""
    self._compile_s += seconds
    self._compiles += 1
    self._from_cache += cache == 'read'

  def start_chunk(self, group: str, label: str, runs: int) -> None:
    """A chunk of `runs` runs of `group` starts; `label` names it in progress lines."""
    self._chunk = {'group': group, 'label': label, 'runs': runs, 'tic': time.time(), 'steps': 0,
                   'first': None}

  def steps_done(self, steps: int) -> None:
    """Progress callback: the running chunk's runs have done `steps` steps each."""
    chunk = self._chunk
    if chunk is None or steps <= chunk['steps']:
      return
    chunk['steps'] = steps
    now = time.time()
    if chunk['first'] is None:
      chunk['first'] = (now, steps)
    if now - self._last_line >= self._every:
      group = self._groups[chunk['group']]
      self._line(f"{chunk['label']}: step {steps}/{group.steps}", now)

  def end_chunk(self) -> None:
    """The running chunk finished and its runs are recorded."""
    chunk, self._chunk = self._chunk, None
    group = self._groups[chunk['group']]
    group.done += chunk['runs']
    group.seconds += time.time() - chunk['tic']
    group.cost_done += chunk['runs'] * group.cost_per_run
    self._finished += chunk['runs']
    self._line(f"{chunk['label']} done", time.time())

  def _rate(self, group: _Group | None) -> float | None:
    """Seconds per unit of cost: the group's own if measured, else everything's so far."""
    if group is not None and group.cost_done:
      return group.seconds / group.cost_done
    cost = sum(g.cost_done for g in self._groups.values())
    return sum(g.seconds for g in self._groups.values()) / cost if cost else None

  def eta(self) -> float | None:
    """Seconds left, or None before anything has been measured."""
    chunk = self._chunk
    left = 0.0
    for name, group in self._groups.items():
      rate = self._rate(group)
      if rate is None and chunk is not None and chunk['first'] and chunk['steps'] > chunk['first'][1]:
        current = self._groups[chunk['group']]
        since, first_steps = chunk['first']
        rate = (time.time() - since) / (
            chunk['runs'] * current.cost_per_run * (chunk['steps'] - first_steps) / current.steps)
      if rate is None:
        return None
      remaining = (group.runs - group.done) * group.cost_per_run
      if chunk is not None and chunk['group'] == name:
        remaining -= chunk['runs'] * group.cost_per_run * chunk['steps'] / group.steps
      left += max(remaining, 0.0) * rate
    compiles_left = sum(1 for g in self._groups.values() if g.done == 0) - (chunk is not None)
    if self._compiles and compiles_left > 0:
      left += compiles_left * self._compile_s / self._compiles
    return left

  def compiling(self) -> str:
    """'compiling 10.1 s (2 of 5 programs read from the cache)': compile seconds so far."""
    cached = f'{self._from_cache} of {self._compiles} programs read from the cache'
    return f'compiling {self._compile_s:.1f} s ({cached})'

  def _line(self, what: str, now: float) -> None:
    self._last_line = now
    eta = self.eta()
    logging.info('[%d/%d runs] %s; elapsed %s (%s), ETA %s', self._finished, self._total, what,
                 clock(now - self._start), self.compiling(), '?' if eta is None else clock(eta))
