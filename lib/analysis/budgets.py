"""The widest and the deepest FC, LCN and CNN that fit a budget of parameters or multiply-adds.

A family's network is `lib.core.models.build(family, depth, width, kernel_size=3, strides=1, 'SAME',
flatten readout)`; its cost is counted by `lib.core.counting` (free parameters; multiply-adds per
example of the factored form). For a budget B, the widest network has a fixed depth and the largest
width whose cost is at most B; the deepest has fixed activations per layer and the largest depth (up
to a cap): LCN and CNN layers of `width` channels on the input grid, FC layers of `width * positions`
units, the same number of hidden units per layer, so that depth is bought by the constraint alone.
"""

import dataclasses
import math
from typing import Sequence

from lib.core import counting, models

KINDS = ('params', 'macs')
SHAPES = ('widest', 'deepest')


@dataclasses.dataclass(frozen=True)
class Architecture:
  """One network of a family: `depth` hidden layers of `width` units (FC) or channels (LCN, CNN)."""
  family: str
  depth: int
  width: int

  def build(self, num_classes: int, **kwargs):
    return models.build(self.family, num_classes=num_classes, depth=self.depth, width=self.width,
                        kernel_size=3, strides=1, padding='SAME', readout='flatten', **kwargs)


def cost(arch: Architecture, kind: str, in_shape: Sequence[int], num_classes: int) -> int:
  """The network's free parameters (`kind='params'`) or multiply-adds per example ('macs')."""
  total = counting.model_cost(arch.build(num_classes), in_shape)
  return total.params if kind == 'params' else total.macs_factored


def _largest(fits, most: int) -> int | None:
  """The largest v in [1, most] with fits(v) (fits is monotone: true up to some v), or None."""
  if not fits(1):
    return None
  low, high = 1, most
  while low < high:
    middle = (low + high + 1) // 2
    if fits(middle):
      low = middle
    else:
      high = middle - 1
  return low


def fit(family: str, shape: str, kind: str, budget: float, in_shape: Sequence[int],
        num_classes: int, depth: int, width: int, max_width: int = 4096,
        max_depth: int = 32) -> Architecture | None:
  """The widest (at `depth`) or deepest (at `width` channels) network of `family` that fits `budget`.

  Returns:
    The architecture, or None when even width 1 (depth 1) does not fit.

  Raises:
    ValueError: an unknown shape or kind.
  """
  if shape not in SHAPES:
    raise ValueError(f'shapes: shape={shape!r} is not one of {SHAPES}')
  if kind not in KINDS:
    raise ValueError(f'kinds: kind={kind!r} is not one of {KINDS}')
  if shape == 'widest':
    make = lambda w: Architecture(family, depth, w)
    most = max_width
  else:
    units = width * math.prod(in_shape[:-1]) if family == 'fc' else width
    make = lambda d: Architecture(family, d, units)
    most = max_depth
  best = _largest(lambda v: cost(make(v), kind, in_shape, num_classes) <= budget, most)
  return None if best is None else make(best)
