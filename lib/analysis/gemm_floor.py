"""The GEMMs a pattern layer's factored contraction executes, alone, with its patches given.

Forward and both gradients of a tied layer are three GEMMs on its patches, of an untied layer three
batched GEMMs (one per output position), of a fully connected layer three plain matmuls. Timed by
themselves, at the shapes a model runs them, they say what the arithmetic costs before any patch is
read or written: how close to a large matmul's rate the layer could come at those shapes.
"""

import functools
from typing import Callable, Sequence

import jax
from jax import lax

from lib.core.layers import Layer, PatternInfo
from lib.core.patterns import Sharing


def gemm(info: PatternInfo, batch: int) -> tuple[Callable, tuple[int, ...], tuple[int, ...]]:
  """The contraction of one layer as a function of its blocks and its given patches.

  Args:
    info: the layer, as `describe` reports it.
    batch: examples per call.

  Returns:
    `(apply, patches shape, kernel shape)`, `apply({'kernel': kernel}, patches)` being the layer's
    GEMM(s): tied, `[batch * N_out, k * C_in] @ [k * C_in, C_out]`; untied, `[N_out, batch, k * C_in]`
    times `[N_out, k * C_in, C_out]` per position (the 'slices' layout); fully connected,
    `[batch, N_in * C_in] @ [N_in * C_in, N_out * C_out]`.
  """
  pattern, c_in, c_out = info.pattern, info.c_in, info.c_out
  if pattern.is_dense:
    return (_matmul, (batch, pattern.n_in * c_in), (pattern.n_in * c_in, pattern.n_out * c_out))
  if pattern.sharing is Sharing.TIED:
    return _matmul, (batch * pattern.n_out, pattern.taps * c_in), (pattern.taps * c_in, c_out)
  return (_per_position, (pattern.n_out, batch, pattern.taps * c_in),
          (pattern.n_out, pattern.taps * c_in, c_out))


def _matmul(params, x):
  return x @ params['kernel']


def _per_position(params, x):
  return lax.dot_general(x, params['kernel'], (((2,), (1,)), ((0,), (0,))))


def operands(info: PatternInfo, batch: int, key: jax.Array) -> tuple[Callable, dict, jax.Array]:
  """`(apply, params, patches)` of `gemm(info, batch)`, the operands random normal."""
  apply, x_shape, w_shape = gemm(info, batch)
  x_key, w_key = jax.random.split(key)
  return apply, {'kernel': jax.random.normal(w_key, w_shape)}, jax.random.normal(x_key, x_shape)


def layer_operands(layer: Layer, in_shape, batch: int, key: jax.Array):
  """`operands` of a one-pattern layer (`lib.core.layers.Conv`, `Local`, `Dense`) on `in_shape`."""
  (info,) = layer.describe(in_shape)[1]
  return operands(info, batch, key)


def multiply_adds(info: PatternInfo, batch: int) -> int:
  """Multiply-adds of one forward contraction: what `operands`' GEMMs execute."""
  pattern = info.pattern
  per_position = (pattern.n_in if pattern.is_dense else pattern.taps) * info.c_in * info.c_out
  return batch * pattern.n_out * per_position


def step(infos: Sequence[PatternInfo], batch: int, runs: int, key: jax.Array):
  """Every layer's forward and both gradients, for `runs` runs at once (vmapped, as the engine).

  Args:
    infos: the model's pattern layers (`model.describe(in_shape)[1]`).
    batch: examples per step.
    runs: runs per call, each with its own operands.
    key: for the random operands.

  Returns:
    `(fn, args, flops)`: `fn(*args)` runs the GEMMs; `flops` counts their floating-point operations
    (2 per multiply-add, 3 contractions per layer, every run).
  """
  applies, layer_args = [], []
  for info, layer_key in zip(infos, jax.random.split(key, len(infos))):
    apply = gemm(info, batch)[0]
    make = lambda k, info=info: operands(info, batch, k)[1:]
    params, x = jax.vmap(make)(jax.random.split(layer_key, runs))
    cotangent = jax.random.normal(layer_key, jax.eval_shape(jax.vmap(apply), params, x).shape)
    applies.append(apply)
    layer_args.append((params, x, cotangent))

  def one(apply, params, x, cotangent):
    y, vjp = jax.vjp(apply, params, x)
    return y, vjp(cotangent)

  def fn(layer_args):
    return [jax.vmap(functools.partial(one, apply))(*args) for apply, args in zip(applies, layer_args)]

  flops = 6 * runs * sum(multiply_adds(info, batch) for info in infos)
  return fn, (layer_args,), flops
