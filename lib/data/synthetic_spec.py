"""What the generated tasks share: their `key=value` spec parameters, and exactly balanced labels."""

from collections.abc import Mapping

import numpy as np

# Every generated task takes these, besides its own size parameters.
COMMON_PARAMS = {'n_train': (int, 8192), 'n_test': (int, 2000), 'seed': (int, 0)}


def parse_params(kind: str, text: str, params: Mapping[str, tuple[type, object]]) -> dict:
  """Parses `key=value,key=value` against the parameters a task accepts.

  Args:
    kind: the spec kind, for error messages (e.g. 'dsd').
    text: what follows `kind:` in the spec, e.g. `k=8,d=16`.
    params: `{name: (type, default)}`; a default of None marks a required parameter.

  Returns:
    `{name: value}` for every parameter, defaults filled in.

  Raises:
    ValueError: naming the spec, and the key or value that is wrong.
  """
  values = {}
  for item in filter(None, text.split(',')):
    key, sep, value = item.partition('=')
    if not sep or key not in params:
      raise ValueError(f'{kind}: {item!r} is not key=value with a key in {sorted(params)}')
    if key in values:
      raise ValueError(f'{kind}: {key} is given twice')
    kind_of_value = params[key][0]
    try:
      values[key] = kind_of_value(value)
    except ValueError:
      raise ValueError(f'{kind}: {key}={value!r} is not a {kind_of_value.__name__}') from None
  for key, (_, default) in params.items():
    if key not in values:
      if default is None:
        raise ValueError(f'{kind}: the parameter {key} is required (e.g. {kind}:{key}=16)')
      values[key] = default
  for key in ('n_train', 'n_test'):
    if key in values and values[key] < 2:
      raise ValueError(f'{kind}: {key}={values[key]} must be at least 2')
  return values


def balanced_signs(rng: np.random.Generator, n: int) -> np.ndarray:
  """`[n]` int labels in {-1, +1}, as many of each as n allows (one more +1 or -1 when n is odd),
  in a random order. Both papers draw y uniformly from {-1, +1}; stratifying keeps that marginal
  and removes the count's sampling noise, so every subset the engine draws can be balanced."""
  signs = np.where(np.arange(n) < n // 2, -1, 1)
  if n % 2:
    signs[-1] = rng.choice((-1, 1))
  return rng.permutation(signs)


def class_of_sign(signs: np.ndarray) -> np.ndarray:
  """The class index of a sign: 0 for -1, 1 for +1, as int32."""
  return (signs > 0).astype(np.int32)
