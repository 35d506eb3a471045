"""The tied, masked subspace of a dense network, and training inside it.

A tied pattern P (a convolution, K_P blocks) sits inside an untied pattern Q (the dense layer of the
same grids, K_Q blocks, one per kept (q, p)) when Q's mask covers P's. Each of Q's blocks then is either
one of P's blocks or structurally zero, so the embedding

    to_dense(theta)[b] = theta[source[b]]   (0 where source[b] = -1)    [K_P, C_in, C_out] -> [K_Q, ...]

is a copy map: W_Q = to_dense(theta) is the dense-equivalent matrix of P (`contraction.dense_matrix`).
Its transpose, `tie_sum`, sums a dense gradient over each of P's tied sets, restricted to P's mask: the
gradient identity `grad_theta L(to_dense(theta)) = tie_sum(grad_W L)`. Hence one SGD step on theta is the
step on W whose gradient is replaced by `to_dense(tie_sum(g))`; and since to_dense only copies entries,
elementwise optimizers (Adam: moments, square roots, divisions) commute with it as well. Training a CNN
is projected training of its dense-equivalent FC net, step for step (`projected`).

Biases follow the same rule: a tied bias `[C_out]` is copied to every output position of an untied one
`[*out_grid, C_out]`.
"""

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lib.core import layers
from lib.core.layers import Layer, PatternInfo
from lib.core.patterns import Pattern, Sharing

Params = Any


def block_source(tied: Pattern, dense: Pattern) -> np.ndarray:
  """`[K_dense]` int: the tied block that each of `dense`'s blocks copies, -1 where it is zero.

  Args:
    tied: the pattern inside (any sharing).
    dense: an untied pattern on the same grids whose mask covers `tied`'s.

  Raises:
    ValueError: the grids differ, `dense` is tied, or its mask misses a connection of `tied`.
  """
  if (tied.in_grid, tied.out_grid) != (dense.in_grid, dense.out_grid):
    raise ValueError(f'grids differ: tied {tied.in_grid}->{tied.out_grid}, dense '
                     f'{dense.in_grid}->{dense.out_grid}')
  if dense.sharing is not Sharing.UNTIED:
    raise ValueError('the dense pattern must be untied (one block per connection)')
  if (tied.mask & ~dense.mask).any():
    raise ValueError('the dense pattern\'s mask does not cover the tied pattern\'s')
  rows = np.arange(dense.n_out)[:, None]
  padded = np.concatenate([tied.block_of, np.full((tied.n_out, 1), -1)], axis=1)  # padding -> -1
  source = np.full(dense.num_blocks, -1, np.int64)
  source[dense.tie.ravel()] = padded[rows, dense.index].ravel()
  return source


def _copy(source: np.ndarray, theta: jax.Array) -> jax.Array:
  """`theta[source]`, zero where source is -1: `[K_src, ...] -> [len(source), ...]`."""
  kept = (source >= 0).astype(np.float32).reshape(-1, *([1] * (theta.ndim - 1)))
  return jnp.take(theta, np.maximum(source, 0), axis=0) * kept.astype(theta.dtype)


def _transpose(linear_fn, primal_shape: jax.ShapeDtypeStruct):
  """The transpose of a linear function, as JAX derives it."""
  transposed = jax.linear_transpose(linear_fn, primal_shape)
  return lambda cotangent: transposed(cotangent)[0]


@dataclasses.dataclass(frozen=True)
class LayerEmbedding:
  """One tied pattern layer inside its dense counterpart.

  Attributes:
    tied: the tied layer's description.
    dense: the dense layer's description.
    source: `[K_dense]` int, see `block_source`.
    bias_positions: output positions a tied bias is copied to (1 when both biases have one shape).
  """
  tied: PatternInfo
  dense: PatternInfo
  source: np.ndarray
  bias_positions: int

  @property
  def is_identity(self) -> bool:
    """The two layers are the same parametrisation (e.g. a dense readout in both models)."""
    return (self.tied.pattern.num_blocks == self.dense.pattern.num_blocks and self.bias_positions == 1
            and np.array_equal(self.source, np.arange(self.source.size)))


def _kernel_to_dense(embedding: LayerEmbedding, kernel: jax.Array, shape) -> jax.Array:
  tied = embedding.tied
  theta = kernel.reshape(tied.pattern.num_blocks, tied.c_in, tied.c_out)
  return _copy(embedding.source, theta).reshape(shape)


def _bias_to_dense(embedding: LayerEmbedding, bias: jax.Array, shape) -> jax.Array:
  return jnp.broadcast_to(bias, shape)


@dataclasses.dataclass(frozen=True)
class Embedding:
  """How the pattern layers of a tied model sit in a dense model of the same layer sequence.

  Both models' parameters are pytrees of the same structure in which every pattern layer holds a dict
  {'kernel', 'bias'?}; `tied_shapes` and `dense_shapes` are their `jax.eval_shape` trees.
  """
  layers: tuple[LayerEmbedding, ...]
  tied_shapes: Params
  dense_shapes: Params

  def to_dense(self, tied_params: Params) -> Params:
    """The dense model's parameters computing the same function: W = to_dense(theta) per layer."""
    return _map_layers(self, tied_params, self.dense_shapes, _kernel_to_dense, _bias_to_dense)

  def tie_sum(self, dense_tree: Params) -> Params:
    """The transpose of `to_dense`: dense gradients summed over each tied set, within the mask."""
    return _transpose(self.to_dense, self.tied_shapes)(dense_tree)

  def project_gradient(self, dense_grads: Params) -> Params:
    """`to_dense(tie_sum(g))`: the dense gradient for which a step equals the tied model's step."""
    return self.to_dense(self.tie_sum(dense_grads))

  def _copies(self) -> Params:
    """How many dense entries copy each tied entry (at least 1), a numpy tree like the tied params."""
    leaves, treedef = jax.tree_util.tree_flatten(self.tied_shapes, is_leaf=_is_pattern_dict)
    out = []
    for layer, shapes in zip(self.layers, leaves):
      kept = layer.source[layer.source >= 0]
      per_block = np.bincount(kept, minlength=layer.tied.pattern.num_blocks)
      kernel = np.broadcast_to(per_block[:, None, None], (per_block.size, layer.tied.c_in,
                                                           layer.tied.c_out))
      counts = {'kernel': np.maximum(kernel, 1).reshape(shapes['kernel'].shape)}
      if 'bias' in shapes:
        counts['bias'] = np.full(shapes['bias'].shape, layer.bias_positions)
      out.append(counts)
    return jax.tree_util.tree_unflatten(treedef, out)

  def project(self, dense_params: Params) -> Params:
    """The orthogonal projection onto the subspace: each tied set replaced by its mean, zero off the
    mask."""
    means = jax.tree_util.tree_map(jnp.divide, self.tie_sum(dense_params), self._copies())
    return self.to_dense(means)

  def distance(self, dense_params: Params) -> jax.Array:
    """`||W - project(W)|| / ||W||` over the kernels of the layers where the two models differ."""
    projected = self.project(dense_params)
    residual, total = 0.0, 0.0
    for layer, w, p in zip(self.layers, _pattern_dicts(dense_params), _pattern_dicts(projected)):
      if not layer.is_identity:
        residual += jnp.sum((w['kernel'] - p['kernel']) ** 2)
        total += jnp.sum(w['kernel'] ** 2)
    return jnp.sqrt(residual / total)


def _is_pattern_dict(node) -> bool:
  return isinstance(node, dict) and 'kernel' in node


def _pattern_dicts(tree: Params) -> list[dict]:
  return jax.tree_util.tree_leaves(tree, is_leaf=_is_pattern_dict)


def _map_layers(embedding: Embedding, tied_params, dense_shapes, kernel_fn, bias_fn) -> Params:
  leaves, treedef = jax.tree_util.tree_flatten(tied_params, is_leaf=_is_pattern_dict)
  shapes = _pattern_dicts(dense_shapes)
  out = []
  for layer, params, shape in zip(embedding.layers, leaves, shapes):
    mapped = {'kernel': kernel_fn(layer, params['kernel'], shape['kernel'].shape)}
    if 'bias' in params:
      mapped['bias'] = bias_fn(layer, params['bias'], shape['bias'].shape)
    out.append(mapped)
  return jax.tree_util.tree_unflatten(treedef, out)


def embedding(tied_model: Layer, dense_model: Layer, in_shape) -> Embedding:
  """Pairs the pattern layers of two models with the same layer sequence.

  Args:
    tied_model: e.g. a CNN.
    dense_model: the same network with every pattern layer replaced by an untied one on the same grids
      that covers it (`dense_layers`); layers that are already untied may stay as they are.
    in_shape: the input shape without the batch, `(*grid, C)`.

  Raises:
    ValueError: the models' layers do not pair up.
  """
  in_shape = tuple(in_shape)
  _, tied_infos = tied_model.describe(in_shape)
  _, dense_infos = dense_model.describe(in_shape)
  if len(tied_infos) != len(dense_infos):
    raise ValueError(f'the models have {len(tied_infos)} and {len(dense_infos)} pattern layers')
  pairs = []
  for i, (t, d) in enumerate(zip(tied_infos, dense_infos)):
    if (t.c_in, t.c_out, t.use_bias) != (d.c_in, d.c_out, d.use_bias):
      raise ValueError(f'pattern layer {i}: channels or bias differ ({t.name} {t.c_in}->{t.c_out}, '
                       f'{d.name} {d.c_in}->{d.c_out})')
    try:
      source = block_source(t.pattern, d.pattern)
    except ValueError as e:
      raise ValueError(f'pattern layer {i} ({t.name} -> {d.name}): {e}') from None
    tied_bias_once = t.pattern.sharing is Sharing.TIED
    pairs.append(LayerEmbedding(t, d, source, d.pattern.n_out if tied_bias_once else 1))
  # The key is made inside the trace: shapes only, nothing computed.
  tied_shapes = jax.eval_shape(lambda: tied_model.init(jax.random.key(0), in_shape)[1])
  dense_shapes = jax.eval_shape(lambda: dense_model.init(jax.random.key(0), in_shape)[1])
  if len(_pattern_dicts(tied_shapes)) != len(pairs):
    raise ValueError('the tied model\'s parameters do not hold one dict per pattern layer')
  return Embedding(tuple(pairs), tied_shapes, dense_shapes)


def dense_layers(model: Layer, in_shape, **kwargs) -> list[Layer]:
  """The untied, unmasked counterpart of each of a model's pattern layers, in order.

  Each is `layers.Dense(c_out, out_grid)` on that layer's output grid: the vanilla network's layer.
  """
  _, infos = model.describe(tuple(in_shape))
  return [layers.Dense(i.c_out, i.pattern.out_grid, use_bias=i.use_bias, **kwargs) for i in infos]


def projected(embedding_: Embedding) -> optax.GradientTransformation:
  """An optax transformation replacing dense gradients by `project_gradient(g)`.

  Chained before an optimizer (`optax.chain(projected(e), optax.adam(lr))`), the dense model started at
  `e.to_dense(theta0)` follows the tied model trained by that optimizer from theta0, step for step.
  """

  def update(updates, state, params=None):
    del params
    return embedding_.project_gradient(updates), state

  return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


class ProjectedUntilState(NamedTuple):
  """The step counter of `projected_until`."""
  count: jax.Array


def projected_until(embedding_: Embedding, steps) -> optax.GradientTransformation:
  """`projected` for the first `steps` updates, the identity afterwards (the eFCN of d'Ascoli et al.
  2019: train the tied model for `steps` steps, then let its dense equivalent train freely).

  Args:
    embedding_: the tied model inside the dense one.
    steps: an int or an int32 scalar (it may be traced, e.g. one value per vmapped run).
  """

  def init(params):
    del params
    return ProjectedUntilState(count=jnp.zeros((), jnp.int32))

  def update(updates, state, params=None):
    del params
    inside = state.count < steps
    mixed = jax.tree_util.tree_map(lambda p, g: jnp.where(inside, p, g),
                                   embedding_.project_gradient(updates), updates)
    return mixed, ProjectedUntilState(count=state.count + 1)

  return optax.GradientTransformation(init, update)
