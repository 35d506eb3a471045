"""The settings of the learned-locality experiment (`experiments/learned_locality.py`), checked
before any data loads or any program compiles; each error names the flag that set the value.
"""

import math
from collections.abc import Sequence

from lib.data import Dataset
from lib.engine import training


def distinct_numbers(flag: str, values: Sequence, kind=int) -> tuple:
  """`values` (a list setting: strings or numbers) as distinct, finite, non-negative `kind`s.

  Raises:
    ValueError: naming `--flag` and its values.
  """
  text = ','.join(map(str, values))
  try:
    numbers = tuple(kind(v) for v in values)
  except ValueError:
    raise ValueError(f'--{flag}={text}: expected numbers') from None
  if not numbers or len(set(numbers)) != len(numbers) or not all(
      0 <= v < math.inf for v in numbers):
    raise ValueError(f'--{flag}={text}: expected distinct, finite, non-negative numbers')
  return numbers


def check_train(train: training.TrainConfig, part: str) -> None:
  """`train.validate()`, its error naming the part's flag (e.g. --efcn_learning_rate for 'efcn')."""
  try:
    train.validate()
  except ValueError as error:
    raise ValueError(f'--{part}_{error}') from None


def relax_times(values: Sequence, steps: int) -> tuple[int, ...]:
  """The eFCN's steps as the CNN (--efcn_t), each in [0, steps] (--efcn_steps)."""
  times = distinct_numbers('efcn_t', values)
  if max(times) > steps:
    raise ValueError(f'--efcn_t={",".join(map(str, times))}: expected steps in [0, '
                     f'--efcn_steps={steps}]')
  return times


def training_size(data: Dataset, given: int | None, default: int | None) -> int:
  """Training examples of a part: --n if `given` (at most the dataset's), else `default` (None: all)
  capped at the dataset's."""
  n = given or default or len(data.y_train)
  if given is not None and n > len(data.y_train):
    raise ValueError(f'--n={n}: exceeds the {len(data.y_train)} training examples of {data.name}')
  return min(n, len(data.y_train))
