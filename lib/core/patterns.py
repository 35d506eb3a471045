"""Connectivity patterns: which input position feeds which output position, through which block.

A layer maps `x` of shape `[batch, N_in, C_in]` to `y` of shape `[batch, N_out, C_out]`. Its dense weight
`W[p, :, q, :]` (shape `[N_in, C_in, N_out, C_out]`) is fixed by a pattern:

    W[p, :, q, :] = M[q, p] * theta[T[q, p]]        theta: [K, C_in, C_out]

Every output position q reads `k` taps. A `Pattern` stores, per (q, tap):

    index[q, t]   the input position the tap reads (N_in where it reads padding)
    tie[q, t]     the parameter block theta[tie[q, t]] used by that connection

so the mask M is `{(q, index[q, t]) : index[q, t] < N_in}` and T[q, index[q, t]] = tie[q, t]. The three
families differ only in `tie` (and FC in its all-seeing window):

    fully connected   k = N_in, index[q, t] = t          tie = q * N_in + t    K = N_out * N_in
    locally connected receptive-field window             tie = q * k + t       K = N_out * k
    convolution       receptive-field window             tie = t               K = k
"""

import dataclasses
import enum
import functools
import math
from typing import Sequence, Union

import numpy as np
from jax import lax

Padding = Union[str, int, Sequence[Union[int, tuple[int, int]]]]


class Sharing(enum.Enum):
  """How taps share parameter blocks."""
  TIED = 'tied'  # the offset alone picks the block: convolution
  UNTIED = 'untied'  # a block per (output position, tap): locally connected and fully connected


@dataclasses.dataclass(frozen=True)
class Window:
  """Geometry of a sliding window on an N-dimensional grid (after validation).

  Attributes:
    kernel: taps per dimension.
    strides: step per dimension.
    dilation: spacing between taps per dimension.
    pads: (low, high) zero padding per dimension, all non-negative.
  """
  kernel: tuple[int, ...]
  strides: tuple[int, ...]
  dilation: tuple[int, ...]
  pads: tuple[tuple[int, int], ...]


@dataclasses.dataclass(frozen=True, eq=False)
class Pattern:
  """The mask and tie of one dense-equivalent weight matrix.

  Attributes:
    in_grid: input grid shape; N_in = prod(in_grid).
    out_grid: output grid shape; N_out = prod(out_grid).
    index: `[N_out, k]` int32, input position of each tap; `N_in` marks a padding tap.
    tie: `[N_out, k]` int32, parameter block of each tap, in `[0, num_blocks)`.
    num_blocks: K, the number of free `[C_in, C_out]` blocks.
    sharing: TIED when tie[q, t] == t, UNTIED when tie[q, t] == q * k + t.
    window: the sliding-window geometry, or None for a fully connected pattern.
  """
  in_grid: tuple[int, ...]
  out_grid: tuple[int, ...]
  index: np.ndarray
  tie: np.ndarray
  num_blocks: int
  sharing: Sharing
  window: Union[Window, None]

  @property
  def n_in(self) -> int:
    return math.prod(self.in_grid)

  @property
  def n_out(self) -> int:
    return math.prod(self.out_grid)

  @property
  def taps(self) -> int:
    return self.index.shape[1]

  @functools.cached_property
  def valid(self) -> np.ndarray:
    """`[N_out, k]` bool: the tap reads a real input position, not padding."""
    return self.index < self.n_in

  @functools.cached_property
  def mask(self) -> np.ndarray:
    """`[N_out, N_in]` bool: M[q, p], does output q see input p."""
    m = np.zeros((self.n_out, self.n_in + 1), bool)
    np.put_along_axis(m, self.index, True, axis=1)
    return m[:, :self.n_in]

  @functools.cached_property
  def block_of(self) -> np.ndarray:
    """`[N_out, N_in]` int: T[q, p], the block at (p, q); -1 where the mask is zero."""
    t = np.full((self.n_out, self.n_in + 1), -1, np.int64)
    np.put_along_axis(t, self.index, self.tie, axis=1)
    return t[:, :self.n_in]

  @property
  def is_dense(self) -> bool:
    """Every output reads every input in order: a plain matmul executes it."""
    return self.window is None


def _per_dim(name: str, value, ndim: int) -> tuple[int, ...]:
  is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)
  if is_int(value):
    values = (value,) * ndim
  elif isinstance(value, (tuple, list)):
    values = tuple(value)
  else:
    values = ()
  if len(values) != ndim or not all(is_int(v) for v in values):
    raise ValueError(f'{name}={value!r}: expected an int or {ndim} ints for a {ndim}-D grid')
  return tuple(int(v) for v in values)


def _pads(padding: Padding, in_grid, kernel, strides, dilation) -> tuple[tuple[int, int], ...]:
  ndim = len(in_grid)
  if isinstance(padding, str):
    if padding.upper() not in ('SAME', 'VALID'):
      raise ValueError(f"padding={padding!r}: expected 'SAME', 'VALID', an int or (low, high) pairs")
    effective = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    return tuple(tuple(p) for p in lax.padtype_to_pads(in_grid, effective, strides, padding.upper()))
  if isinstance(padding, (int, np.integer)):
    pads = ((int(padding), int(padding)),) * ndim
  else:
    items = tuple(padding)
    if len(items) != ndim:
      raise ValueError(f'padding={padding!r}: expected {ndim} entries for a {ndim}-D grid')
    pads = tuple((int(p), int(p)) if isinstance(p, (int, np.integer)) else tuple(int(v) for v in p)
                 for p in items)
    if any(len(p) != 2 for p in pads):
      raise ValueError(f'padding={padding!r}: each entry must be an int or a (low, high) pair')
  if any(v < 0 for p in pads for v in p):
    raise ValueError(f'padding={padding!r}: padding must be non-negative')
  return pads


def make_window(in_grid: Sequence[int], kernel_size, strides=1, padding: Padding = 'SAME',
                dilation=1) -> tuple[Window, tuple[int, ...]]:
  """Validates sliding-window arguments and computes the output grid.

  Args:
    in_grid: input grid shape, e.g. `(40,)` or `(28, 28)`.
    kernel_size: taps per dimension (int or one per dimension).
    strides: step per dimension, at least 1.
    padding: 'SAME', 'VALID', an int, or per-dimension ints or (low, high) pairs.
    dilation: spacing between taps, at least 1.

  Returns:
    The window and the output grid shape.

  Raises:
    ValueError: naming the argument and value that is out of range.
  """
  in_grid = tuple(int(n) for n in in_grid)
  ndim = len(in_grid)
  if ndim == 0 or any(n < 1 for n in in_grid):
    raise ValueError(f'in_grid={in_grid!r}: expected at least one dimension, all positive')
  kernel = _per_dim('kernel_size', kernel_size, ndim)
  strides = _per_dim('strides', strides, ndim)
  dilation = _per_dim('dilation', dilation, ndim)
  for name, values in (('kernel_size', kernel), ('strides', strides), ('dilation', dilation)):
    if any(v < 1 for v in values):
      raise ValueError(f'{name}={values!r}: every entry must be at least 1')
  pads = _pads(padding, in_grid, kernel, strides, dilation)
  out_grid = []
  for n, k, s, d, (lo, hi) in zip(in_grid, kernel, strides, dilation, pads):
    span = (k - 1) * d + 1
    if span > n + lo + hi:
      raise ValueError(f'kernel_size={kernel!r} (dilated span {span}) is larger than the padded '
                       f'input {n + lo + hi} (in_grid={in_grid!r}, padding={padding!r})')
    out_grid.append((n + lo + hi - span) // s + 1)
  return Window(kernel, strides, dilation, pads), tuple(out_grid)


def _window_index(in_grid, out_grid, window: Window) -> np.ndarray:
  """`[N_out, k]` flat input position of every tap; N_in where the tap lands on padding."""
  axes = []
  for n, o, k, s, d, (lo, _) in zip(in_grid, out_grid, window.kernel, window.strides,
                                    window.dilation, window.pads):
    pos = np.arange(o)[:, None] * s + np.arange(k)[None, :] * d - lo  # [o, k] per dimension
    axes.append(pos)
  ndim = len(in_grid)
  # Broadcast per-dimension positions to [*out_grid, *kernel] for every dimension.
  coords, inside = [], np.ones((), bool)
  for i, pos in enumerate(axes):
    shape = [1] * (2 * ndim)
    shape[i], shape[ndim + i] = pos.shape
    c = pos.reshape(shape)
    inside = inside & (c >= 0) & (c < in_grid[i])
    coords.append(c)
  full = np.broadcast_shapes(*(c.shape for c in coords))
  flat = np.ravel_multi_index([np.clip(np.broadcast_to(c, full), 0, n - 1)
                               for c, n in zip(coords, in_grid)], in_grid)
  flat = np.where(np.broadcast_to(inside, full), flat, math.prod(in_grid))
  return flat.reshape(math.prod(out_grid), math.prod(window.kernel)).astype(np.int32)


def windowed(in_grid: Sequence[int], kernel_size, strides=1, padding: Padding = 'SAME', dilation=1,
             *, shared: bool) -> Pattern:
  """A receptive-field pattern: convolution when `shared`, locally connected otherwise.

  Args:
    in_grid: input grid shape.
    kernel_size, strides, padding, dilation: as in `make_window`.
    shared: tie every output position to the same k blocks (convolution) or give each its own.

  Returns:
    The pattern; tap t enumerates kernel offsets in row-major order.
  """
  window, out_grid = make_window(in_grid, kernel_size, strides, padding, dilation)
  in_grid = tuple(int(n) for n in in_grid)
  index = _window_index(in_grid, out_grid, window)
  n_out, k = index.shape
  taps = np.arange(k, dtype=np.int32)
  if shared:
    tie, blocks, sharing = np.broadcast_to(taps, (n_out, k)), k, Sharing.TIED
  else:
    tie = np.arange(n_out, dtype=np.int32)[:, None] * k + taps
    blocks, sharing = n_out * k, Sharing.UNTIED
  return Pattern(in_grid, out_grid, index, np.ascontiguousarray(tie, np.int32), blocks, sharing,
                 window)


def convolution(in_grid, kernel_size, strides=1, padding: Padding = 'SAME', dilation=1) -> Pattern:
  """Masked and tied: the convolution pattern."""
  return windowed(in_grid, kernel_size, strides, padding, dilation, shared=True)


def locally_connected(in_grid, kernel_size, strides=1, padding: Padding = 'SAME',
                      dilation=1) -> Pattern:
  """Masked, untied: the locally connected pattern."""
  return windowed(in_grid, kernel_size, strides, padding, dilation, shared=False)


def fully_connected(in_grid: Sequence[int], out_grid: Sequence[int] = ()) -> Pattern:
  """Unmasked, untied: every output position sees every input position with its own block.

  Args:
    in_grid: input grid shape (`()` for a vector, one position).
    out_grid: output grid shape; `()` gives one position holding all C_out units.
  """
  in_grid, out_grid = tuple(int(n) for n in in_grid), tuple(int(n) for n in out_grid)
  if any(n < 1 for n in in_grid + out_grid):
    raise ValueError(f'in_grid={in_grid!r}, out_grid={out_grid!r}: sizes must be positive')
  n_in, n_out = math.prod(in_grid), math.prod(out_grid)
  index = np.broadcast_to(np.arange(n_in, dtype=np.int32), (n_out, n_in))
  tie = np.arange(n_out * n_in, dtype=np.int32).reshape(n_out, n_in)
  return Pattern(in_grid, out_grid, np.ascontiguousarray(index), tie, n_out * n_in,
                 Sharing.UNTIED, None)
