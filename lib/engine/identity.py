"""What makes two configs the same sweep: everything but the grid's axes.

A work directory's identity is its content: the protocol, the model settings and the fingerprints of
the input files it reads (`lib.data.inputs`, stored under `inputs`). The grid's axes (`GRID_AXES`:
the sizes, seeds and architectures it lists) are not: runs are recorded one by one under their own
identity (arch, n, seed, ...), so a grown grid trains only its new runs and a shrunk one reads a
subset. A per-group mapping (`{group name: settings}`, as `train` often is) is compared on the groups
both configs have, since a new architecture brings a new group.
"""

GRID_AXES = frozenset({'archs', 'sizes', 'seeds'})


def _per_group(value) -> bool:
  return isinstance(value, dict) and bool(value) and all(isinstance(v, dict) for v in value.values())


def differing(stored: dict, new: dict) -> list[str]:
  """The keys, sorted, in which `new` is another sweep than `stored` (grid axes never count)."""
  changed = []
  for key in sorted(set(stored) | set(new)):
    old, now = stored.get(key), new.get(key)
    if key in GRID_AXES:
      continue
    if _per_group(old) and _per_group(now):
      if any(old[group] != now[group] for group in set(old) & set(now)):
        changed.append(key)
    elif old != now:
      changed.append(key)
  return changed


def changed_inputs(stored: dict, new: dict) -> list[str]:
  """One phrase per input file whose fingerprint differs between the configs' `inputs`."""
  old, now = stored.get('inputs') or {}, new.get('inputs') or {}
  out = []
  for name in sorted(set(old) | set(now)):
    if old.get(name) != now.get(name):
      out.append(f'{name}: recorded {old.get(name) or "nothing"}, now {now.get(name) or "nothing"}')
  return out
