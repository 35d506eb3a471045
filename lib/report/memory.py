"""The resident memory of a process and its descendants, read from Linux's /proc.

`os.wait4`'s `ru_maxrss` is no measure of a child's own peak: the kernel carries the forking parent's
resident set into it at exec (a child forked from a process holding 1.4 GB reports at least that). So
`TreeMemory` samples the resident set of the process tree instead, at the caller's pace.
"""

import os
import pathlib

PROC = pathlib.Path('/proc')


def _status(pid: int, field: str) -> int | None:
  """A `kB` field of /proc/PID/status in bytes; None if the process or the field is gone."""
  try:
    for line in (PROC / str(pid) / 'status').read_text().splitlines():
      if line.startswith(field + ':'):
        return int(line.split()[1]) * 1024
  except (OSError, ValueError, IndexError):
    return None
  return None


def _children() -> dict[int, list[int]]:
  """Parent pid -> its children's pids, for every process /proc lists."""
  tree: dict[int, list[int]] = {}
  for entry in PROC.iterdir():
    if not entry.name.isdigit():
      continue
    try:
      stat = (entry / 'stat').read_text()
    except OSError:
      continue
    parent = int(stat[stat.rindex(')') + 2:].split()[1])  # after "pid (comm) state"
    tree.setdefault(parent, []).append(int(entry.name))
  return tree


def descendants(pid: int) -> list[int]:
  """`pid` and every process below it."""
  tree, found, todo = _children(), [], [pid]
  while todo:
    current = todo.pop()
    found.append(current)
    todo += tree.get(current, [])
  return found


class TreeMemory:
  """The peak resident memory of a process tree, sampled.

  Args:
    pid: the root process.

  Attributes:
    peak_bytes: the largest total resident set of the tree over the samples taken, or the root's own
      high-water mark (`VmHWM`) if larger; None where /proc is not available (not Linux).
  """

  def __init__(self, pid: int):
    self.pid = pid
    self.peak_bytes = 0 if (PROC / 'self' / 'status').exists() else None

  def sample(self) -> None:
    """Adds one sample of the tree's resident set (while the root is alive)."""
    if self.peak_bytes is None:
      return
    total = sum(_status(p, 'VmRSS') or 0 for p in descendants(self.pid))
    own_peak = _status(self.pid, 'VmHWM') or 0
    self.peak_bytes = max(self.peak_bytes, total, own_peak)
