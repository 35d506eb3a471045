"""Translation-invariant random fields on a periodic grid: Gaussian (GP) and non-linear Gaussian (NLGP).

The inputs of Ingrosso and Goldt (PNAS 2022). On a periodic grid (a ring of D positions, or a D x D
torus) the latent field z is Gaussian with the covariance

    C(d) = exp(-|d|^2 / xi^2) + jitter * [d == 0]        (|d| the periodic distance; 2-D: a product)

- NLGP: `x = erf(gain * z / sqrt(2)) / sqrt(gamma)`, gamma chosen so that every x_i has variance 1.
  Its covariance is `(2 / (pi gamma)) asin(gain^2 C(d) / (1 + gain^2 C(0)))`; its marginals are
  non-Gaussian (platykurtic, approaching +-1 as the gain grows).
- GP: a Gaussian field with the NLGP's own covariance, so that the two differ only beyond second order.

A translation-invariant covariance on a periodic grid is circulant: the FFT diagonalises it, so one
sample is `irfftn(sqrt(S) * rfftn(noise))` for the spectrum `S = fftn(C)` and white noise: O(D log D),
from an explicit key, inside a compiled program.
"""

import jax
import jax.numpy as jnp
import numpy as np

KINDS = ('gp', 'nlgp')
JITTER = 1e-3  # added on the diagonal of C, as Ingrosso and Goldt do, for numerical stability


def latent_covariance(grid: tuple[int, ...], xi: float, jitter: float = JITTER) -> np.ndarray:
  """`C(d)` for every displacement d on the periodic grid, `[*grid]` (entry 0 is the variance).

  Args:
    grid: `(D,)` or `(D, D)`.
    xi: correlation length, in grid positions.
    jitter: added at d = 0.

  Returns:
    C, projected onto the positive semi-definite circulant matrices (a change below rounding unless
    xi is comparable to the grid).
  """
  if not grid or any(n < 1 for n in grid):
    raise ValueError(f'grid={grid!r}: expected one or two positive sizes')
  if not xi > 0:
    raise ValueError(f'xi={xi!r}: the correlation length must be positive')
  axes = [np.minimum(np.arange(n), n - np.arange(n)) ** 2 for n in grid]
  squared = sum(np.ix_(*axes)) if len(grid) > 1 else axes[0]
  cov = np.exp(-squared / xi ** 2)
  cov.flat[0] += jitter
  # The periodic distance makes C slightly indefinite when xi is not small against the grid: keep its
  # nearest circulant positive semi-definite matrix (negative spectrum set to 0), the field sampled.
  spectrum = np.maximum(np.fft.rfftn(cov).real, 0)
  return np.fft.irfftn(spectrum, s=grid, axes=tuple(range(len(grid))))


def nlgp_covariance(latent: np.ndarray, gain: float) -> np.ndarray:
  """The covariance `[*grid]` of `erf(gain z / sqrt 2)`, normalised to unit variance, for z of
  covariance `latent` (`latent_covariance`)."""
  if not gain > 0:
    raise ValueError(f'gain={gain!r}: must be positive')
  arcsine = np.arcsin(gain ** 2 * latent / (1 + gain ** 2 * latent.flat[0]))
  return arcsine / arcsine.flat[0]


def sqrt_spectrum(cov: np.ndarray) -> np.ndarray:
  """`sqrt(rfftn(C))`, `[*grid[:-1], grid[-1] // 2 + 1]`: the filter that colours white noise.

  Raises:
    ValueError: C is not positive semi-definite (beyond rounding).
  """
  spectrum = np.fft.rfftn(cov).real
  if spectrum.min() < -1e-6 * spectrum.max():
    raise ValueError(f'covariance is not positive semi-definite (spectrum min {spectrum.min():.3g})')
  return np.sqrt(np.maximum(spectrum, 0)).astype(np.float32)


def field_filter(kind: str, grid: tuple[int, ...], xi: float, gain: float) -> np.ndarray:
  """The colouring filter of the latent field of one input distribution (`sqrt_spectrum`).

  For 'nlgp' it colours z (then `transform` applies erf); for 'gp' it colours x directly, with the
  covariance of the NLGP of the same xi and gain.
  """
  if kind not in KINDS:
    raise ValueError(f'kind={kind!r}: expected one of {KINDS}')
  latent = latent_covariance(grid, xi)
  return sqrt_spectrum(latent if kind == 'nlgp' else nlgp_covariance(latent, gain))


def transform(kind: str, z: jax.Array, gain, variance: float = 1 + JITTER) -> jax.Array:
  """The pointwise map from the coloured field to the input: erf for 'nlgp', identity for 'gp'.

  Args:
    kind: 'gp' or 'nlgp'.
    z: the coloured field, any shape; each entry has variance `variance`.
    gain: the NLGP's gain (a float or a traced scalar).
    variance: C(0) of the latent field.
  """
  if kind == 'gp':
    return z
  gamma = 2 / jnp.pi * jnp.arcsin(gain ** 2 * variance / (1 + gain ** 2 * variance))
  return jax.lax.erf(gain * z / jnp.sqrt(2.0)) / jnp.sqrt(gamma)


def colour(key: jax.Array, filters: jax.Array, which: jax.Array, grid: tuple[int, ...]) -> jax.Array:
  """Coloured Gaussian fields, one per example.

  Args:
    key: a PRNG key.
    filters: `[num_filters, *rfft_grid]` colouring filters (`sqrt_spectrum`).
    which: `[batch]` int, the filter of each example.
    grid: the spatial grid.

  Returns:
    `[batch, *grid]` float32; example b has covariance `irfftn(filters[which[b]] ** 2)`.
  """
  axes = tuple(range(1, len(grid) + 1))
  noise = jax.random.normal(key, (which.shape[0], *grid))
  spectrum = jnp.fft.rfftn(noise, axes=axes) * filters[which]
  return jnp.fft.irfftn(spectrum, s=grid, axes=axes).astype(jnp.float32)


def draw(key: jax.Array, batch: int, kind: str, grid: tuple[int, ...], filters: jax.Array, gain):
  """`(x [batch, *grid, 1], y [batch] int32)`: class c (uniform over the `filters`) is the `kind`
  field coloured by `filters[c]` (`field_filter`). Pure and traceable."""
  label_key, field_key = jax.random.split(key)
  y = jax.random.randint(label_key, (batch,), 0, filters.shape[0])
  x = transform(kind, colour(field_key, filters, y, grid), gain)
  return x[..., None], y.astype(jnp.int32)


def class_filters(kind: str, grid: tuple[int, ...], xis, gain: float) -> np.ndarray:
  """`[len(xis), *rfft_grid]`: the colouring filter of every class (`field_filter`)."""
  return np.stack([field_filter(kind, tuple(int(n) for n in grid), xi, gain) for xi in xis])


def make_sampler(kind: str, grid: tuple[int, ...], xis, gain: float):
  """`sample(key, batch) -> (x [batch, *grid, 1], y [batch] int32)`: a two-or-more-class task whose
  class c is the `kind` field of correlation length `xis[c]`; labels uniform over the classes.

  Pure and traceable: fresh examples for every key, nothing materialised beforehand.
  """
  grid = tuple(int(n) for n in grid)
  filters = jnp.asarray(class_filters(kind, grid, xis, gain))
  return lambda key, batch: draw(key, batch, kind, grid, filters, gain)


# One compiled program per (batch, kind, grid): filters and gain are arguments.
draw_jitted = jax.jit(draw, static_argnums=(1, 2, 3))
