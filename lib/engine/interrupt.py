"""Ctrl-C during a long compiled call: stop soon, keep what is finished, say how to resume.

A SIGINT handler only sets a flag. `check()`, called from the training program's progress callback,
raises `Interrupted` on the host, which fails the running XLA computation (on jax 0.10.2's CPU backend
the error surfaces only when the compiled call ends, so a long chunk runs on to its end first); the
engine then reports the runs already recorded and re-raises `Interrupted`, which `launch.py` turns into
one line and exit status 130.

Python runs signal handlers only on the main thread, between bytecodes, and the main thread is blocked
inside the compiled call while the callback runs on another thread. So the signal is also noticed
through `signal.set_wakeup_fd`: its C-level handler writes the signal number to a pipe at once, and
`check()` reads that pipe.
"""

import contextlib
import logging
import os
import signal
import threading


class Interrupted(Exception):
  """The user interrupted a run (SIGINT); finished runs are recorded."""


_requested = threading.Event()
_wakeup = {'read': None}  # the read end of the wakeup pipe while `catching_sigint` is active
# Loggers through which JAX reports an exception raised in a host callback, with its traceback.
CALLBACK_LOGGERS = ('jax._src.debugging', 'jax._src.callback')


def requested() -> bool:
  """Whether SIGINT arrived since `catching_sigint` began (also while the main thread is in XLA)."""
  read = _wakeup['read']
  if not _requested.is_set() and read is not None:
    try:
      if signal.SIGINT in os.read(read, 512):
        _requested.set()
    except OSError:  # nothing written yet (BlockingIOError), or the pipe was just closed
      pass
  return _requested.is_set()


def check() -> None:
  """Raises Interrupted if SIGINT arrived since `catching_sigint` began."""
  if requested():
    raise Interrupted('interrupted by SIGINT')


@contextlib.contextmanager
def quiet_callback_errors():
  """Within the block, JAX does not log the traceback of an exception raised in a host callback
  (the `Interrupted` that `check` raises there reaches the caller as an XLA runtime error)."""
  loggers = [logging.getLogger(name) for name in CALLBACK_LOGGERS]
  levels = [logger.level for logger in loggers]
  for logger in loggers:
    logger.setLevel(logging.CRITICAL)
  try:
    yield
  finally:
    for logger, level in zip(loggers, levels):
      logger.setLevel(level)


@contextlib.contextmanager
def catching_sigint():
  """Within the block, SIGINT sets a flag (see `check`) instead of raising KeyboardInterrupt.

  A second SIGINT restores the default behaviour. Outside the main thread this does nothing.
  """
  if threading.current_thread() is not threading.main_thread():
    yield
    return
  _requested.clear()
  handled = []

  def handler(signum, frame):
    del frame
    handled.append(signum)
    if len(handled) > 1:
      signal.signal(signum, signal.default_int_handler)
    _requested.set()

  read, write = os.pipe()
  os.set_blocking(read, False)
  os.set_blocking(write, False)
  previous = signal.signal(signal.SIGINT, handler)
  previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
  _wakeup['read'] = read
  try:
    yield
  finally:
    signal.set_wakeup_fd(previous_fd)
    signal.signal(signal.SIGINT, previous)
    _wakeup['read'] = None
    os.close(read)
    os.close(write)
