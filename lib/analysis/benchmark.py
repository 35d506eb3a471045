"""Timing compiled JAX functions: compile time, median run time and XLA's memory estimate."""

import dataclasses
import statistics
import time
from typing import Any, Callable

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
