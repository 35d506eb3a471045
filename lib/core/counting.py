"""Counting what each view of a model costs: free parameters, dense-equivalent entries, multiply-adds."""

import dataclasses
from typing import Sequence

from lib.core import contraction
from lib.core.layers import Layer, PatternInfo
from lib.core.patterns import Sharing


@dataclasses.dataclass(frozen=True)
class Cost:
  """Costs of one pattern layer or a whole model, per example.

  Attributes:
    params: free parameters (weights and biases).
    dense_entries: entries of the dense-equivalent weight matrices `[N_in*C_in, N_out*C_out]`.
    nonzero_entries: entries the masks keep; the rest are structurally zero.
    macs_factored: multiply-adds of the factored form (one per kept entry).
    macs_materialized: multiply-adds of the materialized form (one per entry).
  """
  params: int
  dense_entries: int
  nonzero_entries: int
  macs_factored: int
  macs_materialized: int

  @property
  def zero_fraction(self) -> float:
    return 1.0 - self.nonzero_entries / self.dense_entries if self.dense_entries else 0.0

  def __add__(self, other: 'Cost') -> 'Cost':
    return Cost(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other))))


def layer_cost(info: PatternInfo) -> Cost:
  """The cost of one pattern layer."""
  p, blocks = info.pattern, info.c_in * info.c_out
  bias = 0
  if info.use_bias:
    bias = info.c_out if p.sharing is Sharing.TIED else p.n_out * info.c_out
  dense = p.n_in * p.n_out * blocks
  kept = int(p.mask.sum()) * blocks
  return Cost(params=p.num_blocks * blocks + bias, dense_entries=dense, nonzero_entries=kept,
              macs_factored=kept, macs_materialized=dense)


def model_costs(model: Layer, in_shape: Sequence[int]) -> list[tuple[PatternInfo, Cost]]:
  """Each pattern layer of a model with its cost, in order."""
  _, infos = model.describe(tuple(in_shape))
  return [(info, layer_cost(info)) for info in infos]


def model_cost(model: Layer, in_shape: Sequence[int]) -> Cost:
  """The summed cost of a model's pattern layers."""
  total = Cost(0, 0, 0, 0, 0)
  for _, cost in model_costs(model, in_shape):
    total = total + cost
  return total


def contraction_methods(model: Layer, in_shape: Sequence[int]) -> list[str]:
  """`'Layer: method'` for each pattern layer, in order: the contraction that runs on this platform."""
  return [f'{info.name}: {contraction.executed(info.pattern, info.form, info.method)}'
          for info, _ in model_costs(model, in_shape)]


def cost_table(model: Layer, in_shape: Sequence[int]) -> str:
  """A markdown table of the per-layer and total costs."""
  rows = ['| layer | in grid -> out grid | params | dense entries | zero fraction | MACs factored '
          '| MACs materialized |', '|---|---|---:|---:|---:|---:|---:|']
  fmt = lambda name, grids, c: (f'| {name} | {grids} | {c.params:,} | {c.dense_entries:,} | '
                                f'{c.zero_fraction:.3f} | {c.macs_factored:,} | '
                                f'{c.macs_materialized:,} |')
  for info, cost in model_costs(model, in_shape):
    grids = f'{info.pattern.in_grid}x{info.c_in} -> {info.pattern.out_grid}x{info.c_out}'
    rows.append(fmt(info.name, grids, cost))
  rows.append(fmt('**total**', '', model_cost(model, in_shape)))
  return '\n'.join(rows)
