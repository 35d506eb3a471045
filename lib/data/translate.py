"""Translation as a data transform: place images on a canvas, shift them, split the shifts.

Shifts follow `np.roll`: a positive shift moves content towards higher indices (down, right).
"""

from collections.abc import Sequence

import numpy as np

RULES = ('centre', 'left')


def place(images: np.ndarray, canvas: Sequence[int], offsets: np.ndarray) -> np.ndarray:
  """Pastes each image onto a zero canvas at its own offset.

  Args:
    images: `[n, h, w, channels]` images.
    canvas: `(H, W)`, the canvas size.
    offsets: `[n, 2]` int, the canvas `(row, col)` of each image's top-left pixel.

  Returns:
    `[n, H, W, channels]`, zero except where the images were pasted.

  Raises:
    ValueError: if an image would not lie wholly on the canvas.
  """
  n, h, w, channels = images.shape
  offsets = np.asarray(offsets)
  if offsets.shape != (n, 2):
    raise ValueError(f'offsets must have shape {(n, 2)}, got offsets.shape={offsets.shape}')
  off_canvas = np.any((offsets < 0) | (offsets + (h, w) > np.asarray(canvas)), axis=1)
  if off_canvas.any():
    raise ValueError(f'offsets={offsets[off_canvas][0].tolist()} puts a {h}x{w} image off the '
                     f'canvas={tuple(canvas)}')
  out = np.zeros((n, *canvas, channels), images.dtype)
  rows = offsets[:, 0, None, None] + np.arange(h)[None, :, None]
  cols = offsets[:, 1, None, None] + np.arange(w)[None, None, :]
  out[np.arange(n)[:, None, None], rows, cols] = images
  return out


def shift(x: np.ndarray, shifts: np.ndarray, circular: bool) -> np.ndarray:
  """Translates each example over its grid.

  Args:
    x: `[n, *grid, channels]` examples.
    shifts: `[n, d]` int, one shift per example, or `[d]`, one shift for all; `d = len(grid)`.
    circular: if True, content wraps around the grid (`np.roll`); if False, content that leaves
      the grid is dropped and what enters is zero.

  Returns:
    `[n, *grid, channels]`, the shifted examples.
  """
  n, d = x.shape[0], x.ndim - 2
  shifts = np.asarray(shifts)
  if shifts.shape not in ((d,), (n, d)):
    raise ValueError(f'shifts must have shape {(d,)} or {(n, d)} for x.shape={x.shape}, got '
                     f'shifts.shape={shifts.shape}')
  shifts = np.broadcast_to(shifts, (n, d))
  out = np.empty_like(x)
  unique, group = np.unique(shifts, axis=0, return_inverse=True)
  for i, offset in enumerate(unique):
    members = np.flatnonzero(group.ravel() == i)
    out[members] = _shift_all(x[members], offset, circular)
  return out


def _shift_all(x: np.ndarray, offset: np.ndarray, circular: bool) -> np.ndarray:
  """Shifts every example of `x` (`[n, *grid, channels]`) by the same `offset` (`[d]`)."""
  axes = tuple(range(1, x.ndim - 1))
  if circular:
    return np.roll(x, tuple(offset.tolist()), axis=axes)
  out = np.zeros_like(x)
  target, source = [slice(None)], [slice(None)]
  for k, size in zip(offset.tolist(), x.shape[1:-1]):
    k = max(-size, min(size, k))
    target.append(slice(max(k, 0), size + min(k, 0)))
    source.append(slice(max(-k, 0), size - max(k, 0)))
  out[tuple(target)] = x[tuple(source)]
  return out


def shift_grid(max_shift: int, ndim: int) -> np.ndarray:
  """Lists every integer shift with each coordinate in `[-max_shift, max_shift]`.

  Args:
    max_shift: the largest absolute shift along any axis; at least 0.
    ndim: the number of grid axes; at least 1.

  Returns:
    `[(2 * max_shift + 1) ** ndim, ndim]` int shifts, in lexicographic order.
  """
  if max_shift < 0:
    raise ValueError(f'max_shift must be >= 0, got max_shift={max_shift}')
  if ndim < 1:
    raise ValueError(f'ndim must be >= 1, got ndim={ndim}')
  axis = np.arange(-max_shift, max_shift + 1)
  return np.stack(np.meshgrid(*[axis] * ndim, indexing='ij'), axis=-1).reshape(-1, ndim)


def split_seen_unseen(shifts: np.ndarray, rule: str, radius: int) -> tuple[np.ndarray, np.ndarray]:
  """Splits shifts into those seen in training and those held out.

  Rules:
    `centre`: seen iff every coordinate has `|s| <= radius`.
    `left`: seen iff the last coordinate (`dx`; the only one in 1-D) is `<= radius`, so
      `radius=0` keeps the left half and the centre column.

  Args:
    shifts: `[m, d]` int shifts.
    rule: `centre` or `left`.
    radius: the boundary of the seen set; at least 0.

  Returns:
    `(seen [m_seen, d], unseen [m - m_seen, d])`: disjoint, together all of `shifts`, each in the
    order of `shifts`.
  """
  if rule not in RULES:
    raise ValueError(f'rule must be one of {RULES}, got rule={rule!r}')
  if radius < 0:
    raise ValueError(f'radius must be >= 0, got radius={radius}')
  if rule == 'centre':
    seen = np.all(np.abs(shifts) <= radius, axis=1)
  else:
    seen = shifts[:, -1] <= radius
  return shifts[seen], shifts[~seen]
