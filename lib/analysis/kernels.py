"""NNGP kernels of FC, LCN and CNN networks: Monte Carlo from lib's layers, the exact infinite-width
recursion, and kernel regression with them.

Architectures (`ARCHS`): `depth` ReLU hidden layers, then a readout, then one dense output.
  'fc'           dense hidden layers of `width` units on the flattened input;
  'lcn_flatten'  locally connected layers of `width` channels (`kernel_size` windows, stride 1, SAME
                 zero padding), flatten, dense;
  'cnn_flatten'  the same with convolutions (the weights tied across positions);
  'lcn_gap', 'cnn_gap'  the same, global average pooling in place of the flatten.

Parameterisation. The NNGP (the Gaussian process an output of the network converges to as the width
grows) is taken in the standard form: weights ~ N(0, weight_var / fan_in), fan_in = taps * C_in, biases
~ N(0, bias_var). lib's layers start uniform in +-1/sqrt(fan_in) (PyTorch's default): weight variance
1/(3 fan_in), and a bias variance that shrinks with fan_in; with few input taps the first layer's
pre-activations are then not Gaussian. So the Monte Carlo kernels re-draw the parameters of lib's layers
(same layers, same shapes) as Gaussians with these variances, which is the parameterisation whose
infinite-width limit the recursion below computes.

Monte Carlo kernel of one draw: `weight_var * <phi(x), phi(x')> / F + bias_var`, phi the readout's input
features (`[F]`: the flattened or pooled last hidden layer); this takes the expectation over the output
layer exactly. Averaged over draws it is the finite-width NNGP kernel.

Exact kernel (ReLU: the arc-cosine expectation of Cho and Saul 2009; the convolutional recursion of
Novak et al. 2019 and Garriga-Alonso et al. 2019). For inputs x, x' the recursion tracks the covariance
K[q, q'] = Cov(z_q(x), z_q'(x')) of the pre-activations at every pair of positions:
  first layer   K[q, q'] = weight_var / (T C) * sum_t sum_c x[q + t, c] x'[q' + t, c] + bias_var
  next layers   K[q, q'] = weight_var / T * sum_t E[relu(z_{q+t}(x)) relu(z_{q'+t}(x'))] + bias_var
(t over the T taps of the window; zero padding contributes zero). A convolution keeps every (q, q');
a locally connected layer draws independent weights (and biases) per output position, so its
covariance vanishes for q != q'. Readouts: flatten gives weight_var * mean_q E[relu relu][q, q] +
bias_var, global average pooling weight_var * mean_{q, q'} E[relu relu][q, q'] + bias_var. The flatten
readout reads the diagonal only, and the diagonal obeys the same recursion with or without tying: CNN-
flatten and LCN-flatten are one Gaussian process. Pooling reads the off-diagonal, where they differ.
"""

import itertools
import math
from collections.abc import Sequence

import chex
import jax
import jax.numpy as jnp
import numpy as np
import sklearn.kernel_ridge

from lib.core import layers, models

ARCHS = ('fc', 'lcn_flatten', 'cnn_flatten', 'lcn_gap', 'cnn_gap')


def _family_readout(arch: str) -> tuple[str, str]:
  if arch not in ARCHS:
    raise ValueError(f'arch={arch!r}: expected one of {ARCHS}')
  if arch == 'fc':
    return 'fc', 'flatten'
  family, readout = arch.split('_')
  return family, readout


def _check_kernel_size(kernel_size: int) -> None:
  if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
    raise ValueError(f'kernel_size={kernel_size!r}: must be a positive odd int (SAME padding is then '
                     'symmetric)')


def feature_network(arch: str, *, depth: int, width: int, kernel_size: int = 3) -> layers.Layer:
  """The network up to the readout's input, from lib's layers.

  Args:
    arch: one of ARCHS.
    depth: hidden layers, at least 1.
    width: units (FC) or channels (LCN, CNN) per hidden layer.
    kernel_size: taps per grid dimension (LCN, CNN), odd.

  Returns:
    A layer `[batch, *grid, C] -> [batch, F]`: the flattened (or pooled) last hidden layer.
  """
  family, readout = _family_readout(arch)
  _check_kernel_size(kernel_size)
  if depth < 1:
    raise ValueError(f'depth={depth!r}: must be at least 1')
  stack = [layers.Flatten] if family == 'fc' else []
  for _ in range(depth):
    stack += [models.hidden_layer(family, width, kernel_size, 1, 'SAME'), layers.Relu]
  stack.append(layers.GlobalAvgPool if readout == 'gap' else layers.Flatten)
  return layers.serial(*stack)


def gaussian_params(network: layers.Layer, key: jax.Array, in_shape: Sequence[int],
                    weight_var: float, bias_var: float):
  """Parameters of `network` with the shapes lib's init gives, drawn as NNGP Gaussians.

  Every kernel ~ N(0, weight_var / fan_in) with fan_in = taps * C_in of its pattern (taps that read
  padding included, as in lib's init); every bias ~ N(0, bias_var).

  Args:
    network: a layer whose pattern layers hold {'kernel', 'bias'}.
    key: the PRNG key of this draw.
    in_shape: `(*grid, C)`.
    weight_var, bias_var: the variances.

  Returns:
    The parameter pytree.
  """
  in_shape = tuple(in_shape)
  shapes = jax.eval_shape(lambda k: network.init(k, in_shape)[1], key)
  _, infos = network.describe(in_shape)
  leaves, treedef = jax.tree_util.tree_flatten_with_path(shapes)
  fan_ins = iter(info.pattern.taps * info.c_in for info in infos)
  sizes = [math.prod(leaf.shape) for _, leaf in leaves]
  normal = jax.random.normal(key, (sum(sizes),))  # one draw for all leaves: one RNG op to compile
  drawn, start = [], 0
  for (path, leaf), size in zip(leaves, sizes):
    std = math.sqrt(weight_var / next(fan_ins)) if path[-1].key == 'kernel' else math.sqrt(bias_var)
    drawn.append(std * normal[start:start + size].reshape(leaf.shape).astype(leaf.dtype))
    start += size
  return jax.tree_util.tree_unflatten(treedef, drawn)


def monte_carlo_samples(arch: str, x1: jax.Array, x2: jax.Array, key: jax.Array, *,
                        num_samples: int, depth: int, width: int, kernel_size: int = 3,
                        weight_var: float = 2.0, bias_var: float = 0.0,
                        batch_size: int = 4) -> jax.Array:
  """The NNGP kernel of `num_samples` random draws of a finite network, one per draw.

  Args:
    arch: one of ARCHS.
    x1: `[N1, *grid, C]` inputs.
    x2: `[N2, *grid, C]` inputs.
    key: PRNG key; draw s uses `fold_in(key, s)`.
    num_samples: draws.
    depth, width, kernel_size: the architecture (see `feature_network`).
    weight_var, bias_var: the parameter variances.
    batch_size: draws computed at once (memory: batch_size networks' parameters and features).

  Returns:
    `[num_samples, N1, N2]` float32.
  """
  chex.assert_equal_shape_suffix([x1, x2], x1.ndim - 1)
  if num_samples < 1:
    raise ValueError(f'num_samples={num_samples!r}: must be at least 1')
  network = feature_network(arch, depth=depth, width=width, kernel_size=kernel_size)
  in_shape = x1.shape[1:]

  def one_draw(draw_key, a, b):
    params = gaussian_params(network, draw_key, in_shape, weight_var, bias_var)
    phi_a, phi_b = network.apply(params, a), network.apply(params, b)  # [N, F]
    return weight_var * phi_a @ phi_b.T / phi_a.shape[1] + bias_var

  def draws(keys, a, b):
    return jax.lax.map(lambda k: one_draw(k, a, b), keys, batch_size=batch_size)

  keys = jax.vmap(lambda s: jax.random.fold_in(key, s))(jnp.arange(num_samples))
  return jax.jit(draws)(keys, jnp.asarray(x1, jnp.float32), jnp.asarray(x2, jnp.float32))


def monte_carlo_kernel(arch: str, x1, x2, key, **kwargs) -> jax.Array:
  """`[N1, N2]`: the mean of `monte_carlo_samples` (same arguments)."""
  return monte_carlo_samples(arch, x1, x2, key, **kwargs).mean(0)


# ------------------------------------------------------------------------------------ exact kernels


def relu_expectation(k12, k11, k22):
  """E[relu(u) relu(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]), elementwise (arc-cosine, order 1).

  sqrt(k11 k22) / (2 pi) * (sin(theta) + (pi - theta) cos(theta)), cos(theta) = k12 / sqrt(k11 k22);
  zero where a variance is zero.
  """
  norm = jnp.sqrt(k11 * k22)
  cos = jnp.clip(k12 / jnp.where(norm > 0, norm, 1.0), -1.0, 1.0)
  value = norm / (2 * jnp.pi) * (jnp.sqrt(1 - cos ** 2) + (jnp.pi - jnp.arccos(cos)) * cos)
  return jnp.where(norm > 0, value, 0.0)


def _window_sum(a: jax.Array, grid: tuple[int, ...], kernel_size: int, copies: int) -> jax.Array:
  """Sums `a` over the window's taps, moving `copies` position groups together.

  Args:
    a: `[..., *grid (copy 1), ..., *grid (copy `copies`)]`: the trailing axes are `copies` copies of
      the grid's position axes.
    grid: the grid shape.
    kernel_size: odd taps per dimension; zero padding of (kernel_size - 1) / 2 each side.
    copies: how many position groups share the tap offset (1 for variances, 2 for pair covariances).

  Returns:
    Same shape: `out[..., q, q'] = sum_t a[..., q + t, q' + t]` (zero outside the grid).
  """
  r, ndim = kernel_size // 2, len(grid)
  lead = a.ndim - copies * ndim
  padded = jnp.pad(a, [(0, 0)] * lead + [(r, r)] * (copies * ndim))
  total = jnp.zeros_like(a)
  for offset in itertools.product(range(kernel_size), repeat=ndim):
    index = (slice(None),) * lead + tuple(slice(o, o + n) for o, n in zip(offset, grid)) * copies
    total = total + padded[index]
  return total


def _diagonal_mask(grid: tuple[int, ...]) -> jax.Array:
  """`[*grid, *grid]` 1.0 where the two positions are equal."""
  n = math.prod(grid)
  return jnp.eye(n).reshape(*grid, *grid)


def _variances(arch: str, x: jax.Array, depth: int, kernel_size: int, weight_var: float,
               bias_var: float) -> list[jax.Array]:
  """Pre-activation variances of each hidden layer for each input: `[N, *grid]` per layer (FC: `[N]`)."""
  family, _ = _family_readout(arch)
  n, grid, channels = x.shape[0], x.shape[1:-1], x.shape[-1]
  if family == 'fc':
    v = weight_var * (x.reshape(n, -1) ** 2).mean(1) + bias_var
    out = [v]
    for _ in range(depth - 1):
      v = weight_var * v / 2 + bias_var
      out.append(v)
    return out
  taps = kernel_size ** len(grid)
  v = weight_var / (taps * channels) * _window_sum((x ** 2).sum(-1), grid, kernel_size, 1) + bias_var
  out = [v]
  for _ in range(depth - 1):
    v = weight_var / taps * _window_sum(v / 2, grid, kernel_size, 1) + bias_var
    out.append(v)
  return out


def _spatial_row(arch, x, v_x, x2, v_x2, depth, kernel_size, weight_var, bias_var):
  """Exact kernel between one input `x [*grid, C]` and every row of `x2 [N2, *grid, C]` -> `[N2]`."""
  family, readout = _family_readout(arch)
  grid, channels = x.shape[:-1], x.shape[-1]
  ndim, taps = len(grid), kernel_size ** len(grid)
  mask = 1.0 if family == 'cnn' else _diagonal_mask(grid)
  x_flat, x2_flat = x.reshape(-1, channels), x2.reshape(x2.shape[0], -1, channels)
  inner = jnp.einsum('pc,nqc->npq', x_flat, x2_flat).reshape(x2.shape[0], *grid, *grid)
  k = mask * (weight_var / (taps * channels) * _window_sum(inner, grid, kernel_size, 2) + bias_var)
  expand1 = (slice(None),) * ndim + (None,) * ndim  # v_x [*grid] -> [*grid, 1...]
  expand2 = (slice(None),) + (None,) * ndim + (slice(None),) * ndim  # v_x2 [N2, *grid] -> [N2, 1.., *grid]
  for layer in range(depth):
    e = relu_expectation(k, v_x[layer][expand1], v_x2[layer][expand2])  # [N2, *grid, *grid]
    if layer + 1 < depth:
      k = mask * (weight_var / taps * _window_sum(e, grid, kernel_size, 2) + bias_var)
  axes = tuple(range(1, 1 + 2 * ndim))
  if readout == 'gap':
    return weight_var * e.mean(axis=axes) + bias_var
  n_pos = math.prod(grid)
  diagonal = (e.reshape(x2.shape[0], n_pos, n_pos) * jnp.eye(n_pos)).sum((1, 2)) / n_pos
  return weight_var * diagonal + bias_var


def exact_kernel(arch: str, x1: jax.Array, x2: jax.Array, *, depth: int, kernel_size: int = 3,
                 weight_var: float = 2.0, bias_var: float = 0.0, batch_size: int = 8) -> jax.Array:
  """The infinite-width NNGP kernel of an architecture (see the module docstring).

  Args:
    arch: one of ARCHS.
    x1: `[N1, *grid, C]` inputs.
    x2: `[N2, *grid, C]` inputs.
    depth: hidden layers, at least 1.
    kernel_size: odd taps per grid dimension (LCN, CNN).
    weight_var, bias_var: the parameter variances.
    batch_size: rows of x1 computed at once; memory is about 4 * batch_size * N2 * P^2 floats for a grid
      of P positions (LCN, CNN).

  Returns:
    `[N1, N2]` float32.
  """
  family, _ = _family_readout(arch)
  _check_kernel_size(kernel_size)
  if depth < 1:
    raise ValueError(f'depth={depth!r}: must be at least 1')
  chex.assert_equal_shape_suffix([x1, x2], x1.ndim - 1)
  x1, x2 = jnp.asarray(x1, jnp.float32), jnp.asarray(x2, jnp.float32)
  args = (depth, kernel_size, weight_var, bias_var)
  v1, v2 = _variances(arch, x1, *args), _variances(arch, x2, *args)
  if family == 'fc':
    k = weight_var * x1.reshape(len(x1), -1) @ x2.reshape(len(x2), -1).T / math.prod(x1.shape[1:])
    k = k + bias_var
    for layer in range(depth):
      k = weight_var * relu_expectation(k, v1[layer][:, None], v2[layer][None, :]) + bias_var
    return k

  def row(inputs):
    x, v_x = inputs
    return _spatial_row(arch, x, v_x, x2, v2, *args)

  return jax.jit(lambda x, v: jax.lax.map(row, (x, v), batch_size=batch_size))(x1, v1)


# --------------------------------------------------------------------------------- kernel regression


def relative_difference(a, b) -> float:
  """`||a - b||_F / ||b||_F`."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def regression_accuracy(k_train: np.ndarray, k_test_train: np.ndarray, y_train: np.ndarray,
                        y_test: np.ndarray, num_classes: int, ridge: float = 1e-3) -> float:
  """Test accuracy of the NNGP posterior mean (kernel ridge regression on centred one-hot targets).

  Args:
    k_train: `[n, n]` kernel between training inputs.
    k_test_train: `[m, n]` kernel between test and training inputs.
    y_train: `[n]` int labels.
    y_test: `[m]` int labels.
    num_classes: classes.
    ridge: observation noise relative to the mean of diag(k_train).

  Returns:
    The fraction of test inputs whose largest posterior mean is their class.
  """
  k_train = np.asarray(k_train, np.float64)
  chex.assert_shape(k_train, (len(y_train), len(y_train)))
  chex.assert_shape(k_test_train, (len(y_test), len(y_train)))
  targets = np.eye(num_classes)[y_train] - 1.0 / num_classes
  model = sklearn.kernel_ridge.KernelRidge(alpha=ridge * np.diag(k_train).mean(),
                                           kernel='precomputed')
  model.fit(k_train, targets)
  prediction = model.predict(np.asarray(k_test_train, np.float64)).argmax(1)
  return float((prediction == y_test).mean())
