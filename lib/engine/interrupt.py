"""Ctrl-C during a long compiled call: stop soon, keep what is finished, say how to resume.

A SIGINT handler only sets a flag. `check()`, called from the training program's progress callback,
raises `Interrupted` on the host, which aborts the running XLA computation at its next progress block;
the engine then reports the runs already recorded and re-raises `Interrupted`, which `launch.py` turns
into one line and exit status 130.
"""

import contextlib
import signal
import threading


class Interrupted(Exception):
  """The user interrupted a run (SIGINT); finished runs are recorded."""


_requested = threading.Event()


def check() -> None:
  """Raises Interrupted if SIGINT arrived since `catching_sigint` began."""
  if _requested.is_set():
    raise Interrupted('interrupted by SIGINT')


@contextlib.contextmanager
def catching_sigint():
  """Within the block, SIGINT sets a flag (see `check`) instead of raising KeyboardInterrupt.

  A second SIGINT restores the default behaviour. Outside the main thread this does nothing.
  """
  if threading.current_thread() is not threading.main_thread():
    yield
    return
  _requested.clear()

  def handler(signum, frame):
    del frame
    if _requested.is_set():
      signal.signal(signum, signal.default_int_handler)
    _requested.set()

  previous = signal.signal(signal.SIGINT, handler)
  try:
    yield
  finally:
    signal.signal(signal.SIGINT, previous)
