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
layer exactly. Averaged over draws it is the finite-width NNGP kernel. The flatten and GAP readouts of
one family read the same draws of its hidden layers.

Exact kernel (ReLU: the arc-cosine expectation of Cho and Saul 2009; the convolutional recursion of
Novak et al. 2019 and Garriga-Alonso et al. 2019). For inputs x, x' the recursion tracks the covariance
K[q, q'] = Cov(z_q(x), z_q'(x')) of the pre-activations at every pair of positions:
  first layer   K[q, q'] = weight_var / (T C) * sum_t sum_c x[q + t, c] x'[q' + t, c] + bias_var
  next layers   K[q, q'] = weight_var / T * sum_t E[relu(z_{q+t}(x)) relu(z_{q'+t}(x'))] + bias_var
(t over the T taps of the window; zero padding contributes zero). A convolution keeps every (q, q');
a locally connected layer draws independent weights (and biases) per output position, so its
covariance vanishes for q != q' (so its recursion carries the diagonal alone). Readouts: flatten
gives weight_var * mean_q E[relu relu][q, q] + bias_var, global average pooling
weight_var * mean_{q, q'} E[relu relu][q, q'] + bias_var. The flatten readout reads the diagonal only, and the diagonal obeys the same recursion with or without tying: CNN-
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
FAMILY_INDEX = {'fc': 0, 'lcn': 1, 'cnn': 2}


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


def _readout(features: jax.Array, readout: str) -> jax.Array:
  """`[N, F]`: the last hidden layer `[N, *grid, C]` (FC: `[N, C]`) flattened or pooled."""
  if readout == 'gap':
    return features.mean(axis=tuple(range(1, features.ndim - 1)))
  return features.reshape(features.shape[0], -1)


def monte_carlo_samples(x1: jax.Array, x2: jax.Array, key: jax.Array, archs: Sequence[str] = ARCHS,
                        *, num_samples: int, depth: int, width: int, kernel_size: int = 3,
                        weight_var: float = 2.0, bias_var: float = 0.0,
                        batch_size: int = 4) -> dict[str, jax.Array]:
  """The NNGP kernels of `num_samples` random draws of finite networks, one per draw and arch.

  One compiled program computes every arch; the flatten and GAP readouts of a family share each draw
  of its hidden layers. Families draw independently (`fold_in(key, family index)`).

  Args:
    x1: `[N1, *grid, C]` inputs.
    x2: `[N2, *grid, C]` inputs.
    key: PRNG key; draw s of a family uses `fold_in(fold_in(key, family), s)`.
    archs: architectures from ARCHS.
    num_samples: draws.
    depth, width, kernel_size: the hidden layers (`models.hidden_stack`; kernel_size odd).
    weight_var, bias_var: the parameter variances.
    batch_size: draws computed at once (memory: batch_size networks' parameters and features).

  Returns:
    `{arch: [num_samples, N1, N2] float32}`.
  """
  chex.assert_equal_shape_suffix([x1, x2], x1.ndim - 1)
  if num_samples < 1:
    raise ValueError(f'num_samples={num_samples!r}: must be at least 1')
  by_family = {}
  for arch in archs:
    family, readout = _family_readout(arch)
    by_family.setdefault(family, []).append((arch, readout))
  _check_kernel_size(kernel_size)
  if depth < 1:
    raise ValueError(f'depth={depth!r}: must be at least 1')
  networks = {family: models.hidden_stack(family, depth=depth, width=width, kernel_size=kernel_size)
              for family in by_family}
  in_shape = x1.shape[1:]

  def one_draw(keys, a, b):
    out = {}
    for family, network in networks.items():
      params = gaussian_params(network, keys[family], in_shape, weight_var, bias_var)
      h_a, h_b = network.apply(params, a), network.apply(params, b)
      for arch, readout in by_family[family]:
        phi_a, phi_b = _readout(h_a, readout), _readout(h_b, readout)  # [N, F]
        out[arch] = weight_var * phi_a @ phi_b.T / phi_a.shape[1] + bias_var
    return out

  def draws(keys, a, b):
    return jax.lax.map(lambda k: one_draw(k, a, b), keys, batch_size=batch_size)

  keys = {family: jax.vmap(lambda s, f=jax.random.fold_in(key, FAMILY_INDEX[family]):
                           jax.random.fold_in(f, s))(jnp.arange(num_samples))
          for family in networks}
  return jax.jit(draws)(keys, jnp.asarray(x1, jnp.float32), jnp.asarray(x2, jnp.float32))


def monte_carlo_kernels(x1, x2, key, archs: Sequence[str] = ARCHS, **kwargs) -> dict[str, jax.Array]:
  """`{arch: [N1, N2]}`: the means over draws of `monte_carlo_samples` (same arguments)."""
  return {arch: k.mean(0) for arch, k in monte_carlo_samples(x1, x2, key, archs, **kwargs).items()}


# ------------------------------------------------------------------------------------ exact kernels

# Abramowitz and Stegun 4.4.46: arccos(x) = sqrt(1 - x) * sum_i a_i x^i + e, |e| <= 2e-8, 0 <= x <= 1.
# XLA's CPU arccos (and arctan2) measured 20x slower than this polynomial on 2.6M elements.
_ARCCOS = (1.5707963050, -0.2145988016, 0.0889789874, -0.0501743046, 0.0308918810, -0.0170881256,
           0.0066700901, -0.0012624911)


def _arccos(c):
  """arccos on [-1, 1] by the polynomial above (|error| below 1e-6 in float32)."""
  x = jnp.abs(c)
  p = _ARCCOS[-1]
  for a in _ARCCOS[-2::-1]:
    p = p * x + a
  r = jnp.sqrt(1 - x) * p
  return jnp.where(c >= 0, r, jnp.pi - r)


def relu_expectation(k12, k11, k22):
  """E[relu(u) relu(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]]), elementwise (arc-cosine, order 1).

  sqrt(k11 k22) / (2 pi) * (sin(theta) + (pi - theta) cos(theta)), cos(theta) = k12 / sqrt(k11 k22);
  zero where a variance is zero.
  """
  norm = jnp.sqrt(k11 * k22)
  cos = jnp.clip(k12 / jnp.where(norm > 0, norm, 1.0), -1.0, 1.0)
  value = norm / (2 * jnp.pi) * (jnp.sqrt(1 - cos ** 2) + (jnp.pi - _arccos(cos)) * cos)
  return jnp.where(norm > 0, value, 0.0)


def _window_sum(a: jax.Array, grid: tuple[int, ...], kernel_size: int, copies: int) -> jax.Array:
  """Sums `a` over the window's taps, moving `copies` position groups together.

  Args:
    a: `[..., *grid (copy 1), ..., *grid (copy `copies`)]`: the trailing axes are `copies` copies of
      the grid's position axes.
    grid: the grid shape.
    kernel_size: odd taps per dimension; zero padding of (kernel_size - 1) / 2 each side.
    copies: how many position groups share the tap offset (1 for variances and diagonals, 2 for the
      covariance of every pair of positions).

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


def _variances(family: str, x: jax.Array, depth: int, kernel_size: int, weight_var: float,
               bias_var: float) -> list[jax.Array]:
  """Pre-activation variances of each hidden layer for each input: `[N, *grid]` per layer (FC: `[N]`).

  They obey one recursion for LCN and CNN: a position's variance reads only the variances of its
  window.
  """
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


def _lcn_row(x, v_x, x2, v_x2, depth, kernel_size, weight_var, bias_var) -> dict:
  """LCN kernels between one input `x [*grid, C]` and every row of `x2 [N2, *grid, C]`.

  Untied weights make the covariance of distinct positions zero, so only the diagonal `[N2, *grid]`
  is carried. Under pooling, distinct positions are independent: E[relu relu] is the product of the
  means, sqrt(v / 2 pi) each.

  Returns:
    `{'flatten': [N2], 'gap': [N2]}`.
  """
  grid, channels = x.shape[:-1], x.shape[-1]
  taps, n_pos = kernel_size ** len(grid), math.prod(grid)
  inner = (x[None] * x2).sum(-1)  # [N2, *grid]: the same position in both inputs
  k = weight_var / (taps * channels) * _window_sum(inner, grid, kernel_size, 1) + bias_var
  for layer in range(depth):
    e = relu_expectation(k, v_x[layer], v_x2[layer])  # [N2, *grid]
    if layer + 1 < depth:
      k = weight_var / taps * _window_sum(e, grid, kernel_size, 1) + bias_var
  axes = tuple(range(1, 1 + len(grid)))
  m_x, m_x2 = jnp.sqrt(v_x[-1] / (2 * jnp.pi)), jnp.sqrt(v_x2[-1] / (2 * jnp.pi))
  pooled = ((e - m_x * m_x2).sum(axes) + m_x.sum() * m_x2.sum(axes)) / n_pos ** 2
  return {'flatten': weight_var * e.mean(axes) + bias_var, 'gap': weight_var * pooled + bias_var}


def _cnn_row(x, v_x, x2, v_x2, depth, kernel_size, weight_var, bias_var) -> dict:
  """CNN kernels between one input `x [*grid, C]` and every row of `x2 [N2, *grid, C]`.

  Tied weights correlate every pair of positions: the covariance `[N2, *grid (x), *grid (x2)]` of
  all pairs is carried, and each readout reads its part.

  Returns:
    `{'flatten': [N2], 'gap': [N2]}`.
  """
  grid, channels = x.shape[:-1], x.shape[-1]
  ndim, taps, n_pos = len(grid), kernel_size ** len(grid), math.prod(grid)
  n2 = x2.shape[0]
  inner = jnp.einsum('pc,nqc->npq', x.reshape(-1, channels), x2.reshape(n2, -1, channels))
  inner = inner.reshape(n2, *grid, *grid)
  k = weight_var / (taps * channels) * _window_sum(inner, grid, kernel_size, 2) + bias_var
  expand_x = (slice(None),) * ndim + (None,) * ndim  # [*grid] -> [*grid, 1, ...]
  expand_x2 = (slice(None),) + (None,) * ndim + (slice(None),) * ndim  # -> [N2, 1, ..., *grid]
  for layer in range(depth):
    e = relu_expectation(k, v_x[layer][expand_x], v_x2[layer][expand_x2])
    if layer + 1 < depth:
      k = weight_var / taps * _window_sum(e, grid, kernel_size, 2) + bias_var
  pairs = e.reshape(n2, n_pos, n_pos)
  diagonal = jnp.diagonal(pairs, axis1=1, axis2=2).mean(1)
  return {'flatten': weight_var * diagonal + bias_var,
          'gap': weight_var * pairs.mean((1, 2)) + bias_var}


def exact_kernels(x1: jax.Array, x2: jax.Array, archs: Sequence[str] = ARCHS, *, depth: int,
                  kernel_size: int = 3, weight_var: float = 2.0, bias_var: float = 0.0,
                  batch_size: int = 8) -> dict[str, jax.Array]:
  """The infinite-width NNGP kernels of several architectures (see the module docstring).

  The LCN recursion carries the diagonal alone (`[N2, P]` per row of x1, P grid positions); the CNN
  recursion carries every pair of positions (`[N2, P, P]`), and each readout reads its part of one
  pass. That CNN-flatten equals LCN-flatten is thus a check between two code paths.

  Args:
    x1: `[N1, *grid, C]` inputs.
    x2: `[N2, *grid, C]` inputs.
    archs: architectures from ARCHS.
    depth: hidden layers, at least 1.
    kernel_size: odd taps per grid dimension (LCN, CNN).
    weight_var, bias_var: the parameter variances.
    batch_size: rows of x1 computed at once; the CNN takes about 4 * batch_size * N2 * P^2 floats.

  Returns:
    `{arch: [N1, N2] float32}`.
  """
  families = {_family_readout(arch)[0] for arch in archs}
  _check_kernel_size(kernel_size)
  if depth < 1:
    raise ValueError(f'depth={depth!r}: must be at least 1')
  chex.assert_equal_shape_suffix([x1, x2], x1.ndim - 1)
  x1, x2 = jnp.asarray(x1, jnp.float32), jnp.asarray(x2, jnp.float32)
  args = (depth, kernel_size, weight_var, bias_var)
  by_family = {}
  for family in families:
    v1, v2 = _variances(family, x1, *args), _variances(family, x2, *args)
    if family == 'fc':
      k = weight_var * x1.reshape(len(x1), -1) @ x2.reshape(len(x2), -1).T / math.prod(x1.shape[1:])
      k = k + bias_var
      for layer in range(depth):
        k = weight_var * relu_expectation(k, v1[layer][:, None], v2[layer][None, :]) + bias_var
      by_family['fc'] = {'flatten': k}
      continue
    row = _cnn_row if family == 'cnn' else _lcn_row

    def rows(x, v, x2, v2, row=row):
      return jax.lax.map(lambda xv: row(xv[0], xv[1], x2, v2, *args), (x, v),
                         batch_size=batch_size)

    by_family[family] = jax.jit(rows)(x1, v1, x2, v2)
  return {arch: by_family[_family_readout(arch)[0]][_family_readout(arch)[1]] for arch in archs}


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
