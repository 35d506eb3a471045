"""Timing compiled JAX functions: compile time, median run time and XLA's memory estimate, one
function at a time or several in interleaved rounds."""

import dataclasses
import statistics
import time
from typing import Any, Callable, Hashable

import jax


@dataclasses.dataclass(frozen=True)
class Timing:
  """One measured function.

  Attributes:
    compile_s: seconds to lower and compile.
    median_s: median seconds of one call, after a warm-up call.
    runs: calls timed.
    memory_bytes: XLA's estimate of arguments + outputs + temporaries, or None where unavailable.
  """
  compile_s: float
  median_s: float
  runs: int
  memory_bytes: int | None


def _memory(compiled) -> int | None:
  try:
    stats = compiled.memory_analysis()
  except (NotImplementedError, AttributeError, RuntimeError):
    return None
  if stats is None:
    return None
  return int(stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes)


def time_jitted(fn: Callable, *args: Any, min_runs: int = 3, max_runs: int = 20,
                budget_s: float = 3.0) -> Timing:
  """Compiles `fn(*args)` once and times calls until `budget_s` or `max_runs` is reached.

  Args:
    fn: a function of arrays; it is jitted here.
    *args: its arguments.
    min_runs: at least this many timed calls.
    max_runs: at most this many timed calls.
    budget_s: stop timing once this much time was spent (after min_runs).

  Returns:
    The timing; every call blocks until its outputs are ready.
  """
  start = time.perf_counter()
  compiled = jax.jit(fn).lower(*args).compile()
  compile_s = time.perf_counter() - start
  jax.block_until_ready(compiled(*args))  # warm-up
  times = []
  while len(times) < max_runs and (len(times) < min_runs or sum(times) < budget_s):
    start = time.perf_counter()
    jax.block_until_ready(compiled(*args))
    times.append(time.perf_counter() - start)
  return Timing(compile_s, statistics.median(times), len(times), _memory(compiled))



def time_interleaved(calls: dict[Hashable, tuple[Callable, tuple]], *, min_runs: int = 3,
                     max_runs: int = 20, budget_s: float = 3.0) -> dict[Hashable, Timing]:
  """Compiles every `fn(*args)`, then times them in rounds, one call of each per round.

  Load from other processes that comes and goes then falls on every case alike, so ratios between
  cases stay meaningful on a shared machine. A case drops out of the rounds once it has `min_runs`
  calls and `budget_s` seconds of them, or `max_runs` calls.

  Args:
    calls: name -> (function of arrays, its arguments); each is jitted here.
    min_runs: at least this many timed calls per case.
    max_runs: at most this many timed calls per case.
    budget_s: seconds of timed calls after which a case stops (after min_runs).

  Returns:
    name -> its timing; every call blocks until its outputs are ready.
  """
  compiled, compile_s = {}, {}
  for name, (fn, args) in calls.items():
    start = time.perf_counter()
    compiled[name] = jax.jit(fn).lower(*args).compile()
    compile_s[name] = time.perf_counter() - start
    jax.block_until_ready(compiled[name](*args))  # warm-up
  times = {name: [] for name in calls}

  def wants(name):
    done = times[name]
    return len(done) < min_runs or (len(done) < max_runs and sum(done) < budget_s)

  while any(map(wants, calls)):
    for name, (_, args) in calls.items():
      if wants(name):
        start = time.perf_counter()
        jax.block_until_ready(compiled[name](*args))
        times[name].append(time.perf_counter() - start)
  return {name: Timing(compile_s[name], statistics.median(times[name]), len(times[name]),
                       _memory(compiled[name])) for name in calls}
