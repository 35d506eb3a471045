"""SIGINT while the main thread waits inside a compiled call (issue 7, case 6): Python runs signal
handlers only on the main thread, so the progress callback (on another thread) must learn of the signal
through the wakeup pipe, and stop the program at its next callback."""

import os
import signal

import jax
import jax.numpy as jnp
import pytest

from lib.engine import interrupt

BLOCKS = 500


def _program(report):
  """BLOCKS blocks of busy work, each followed by `report(block)` on the host."""
  def run(x):
    def block(carry, index):
      carry = jax.lax.fori_loop(0, 50, lambda _, c: jnp.sin(c) + 0.5, carry)
      jax.debug.callback(report, index)
      return carry, None
    return jax.lax.scan(block, x, jnp.arange(BLOCKS))[0]
  return jax.jit(run).lower(jnp.ones(8)).compile()


def test_sigint_during_a_compiled_call_stops_it_at_the_next_callback():
  reported = []

  def report(index):
    reported.append(int(index))
    if len(reported) == 3:
      os.kill(os.getpid(), signal.SIGINT)  # arrives while the main thread is inside XLA
    interrupt.check()

  program = _program(report)
  before = signal.getsignal(signal.SIGINT)
  with interrupt.catching_sigint(), interrupt.quiet_callback_errors():
    with pytest.raises(Exception):  # pylint: disable=broad-exception-caught
      jax.block_until_ready(program(jnp.ones(8)))
    assert interrupt.requested()
  assert len(reported) in (3, 4)  # the signal's block, or the one after it, not all BLOCKS
  assert signal.getsignal(signal.SIGINT) is before


def test_without_sigint_the_program_runs_to_the_end():
  reported = []

  def report(index):
    reported.append(int(index))
    interrupt.check()

  program = _program(report)
  with interrupt.catching_sigint():
    jax.block_until_ready(program(jnp.ones(8)))
    assert not interrupt.requested()
  assert len(reported) == BLOCKS
