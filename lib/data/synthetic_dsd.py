"""The Dynamic Signal Distribution (DSD) of Lahoti, Karp, Winston, Singh and Li (ICLR 2024,
arXiv 2403.15707): k patches of dimension d, one of them carrying the signed signal.

    i ~ Uniform{1..k},  y ~ Uniform{-1, +1},  x = y * mu_i + sigma * xi,  xi ~ N(0, I_{kd})

where mu_i in R^{kd} holds the unit signal vector w* in patch i (coordinates (i-1)d+1 .. id) and zeros
elsewhere: the signal patch is y w* plus isotropic noise, every other patch is noise alone. For
equivariant learners the paper proves FC Omega(sigma^2 k^2 d), LCN Omega(sigma^2 k d) and
O~(sigma^2 k (k + d)), CNN O~(sigma^2 (k + d)) samples.

What is assumed here, not read from the paper's own text (the search tool gave its abstract, reviews
and summaries, not its Section 4): that w* is a unit vector (we draw it uniformly on the sphere from
the dataset seed, shared by train and test), and that the signal patch carries the same N(0, sigma^2
I_d) noise as the others (the reviews' "one patch holds a noisy signed signal, the others isotropic
Gaussian noise", and the mixture means mu_i they quote, agree with this). The paper's theory also needs
sigma = O~(1/sqrt(k)); sigma is a parameter here.

The input is a 1-D signal of k*d positions with one channel, `[n, k*d, 1]`; patch i is positions
(i-1)d .. id-1. Class 1 is y = +1. Labels are exactly balanced (see `synthetic_spec.balanced_signs`).
"""

import dataclasses

import numpy as np

from lib.data import synthetic_spec

PARAMS = {'k': (int, None), 'd': (int, None), 'sigma': (float, 0.5), **synthetic_spec.COMMON_PARAMS}
NUM_CLASSES = 2


@dataclasses.dataclass(frozen=True)
class Sample:
  """Generated examples with the latent variables that produced them.

  Attributes:
    x: `[n, k*d, 1]` float32 inputs.
    y: `[n]` int32 class indices (1 for y = +1).
    patch: `[n]` int, the patch (0-based) that carries the signal.
    w_star: `[d]` the unit signal vector.
  """
  x: np.ndarray
  y: np.ndarray
  patch: np.ndarray
  w_star: np.ndarray


def signal_vector(seed: int, d: int) -> np.ndarray:
  """`[d]` float64 unit vector w*, uniform on the sphere, fixed by the dataset seed."""
  w = np.random.default_rng((seed, 2)).standard_normal(d)
  return w / np.linalg.norm(w)


def sample(rng: np.random.Generator, w_star: np.ndarray, k: int, sigma: float, n: int) -> Sample:
  """Draws n examples of the DSD with signal vector `w_star` `[d]`."""
  d = w_star.shape[0]
  signs = synthetic_spec.balanced_signs(rng, n)
  patch = rng.integers(0, k, n)
  x = sigma * rng.standard_normal((n, k, d))
  x[np.arange(n), patch] += signs[:, None] * w_star
  return Sample(x.reshape(n, k * d, 1).astype(np.float32), synthetic_spec.class_of_sign(signs),
                patch, w_star)


def read_dsd(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
  """The arrays of the spec `dsd:k=K,d=D[,sigma=S,n_train=N,n_test=M,seed=S]`.

  Args:
    text: what follows `dsd:`; k (patches) and d (patch dimension) are required, at least 1;
      sigma (noise scale, default 0.5) positive.

  Returns:
    `(x_train [n_train, k*d, 1], y_train, x_test [n_test, k*d, 1], y_test, num_classes=2)`.
  """
  p = synthetic_spec.parse_params('dsd', text, PARAMS)
  for key in ('k', 'd'):
    if p[key] < 1:
      raise ValueError(f'dsd: {key}={p[key]} must be at least 1')
  if not p['sigma'] > 0:
    raise ValueError(f"dsd: sigma={p['sigma']} must be positive")
  w_star = signal_vector(p['seed'], p['d'])
  train = sample(np.random.default_rng((p['seed'], 0)), w_star, p['k'], p['sigma'], p['n_train'])
  test = sample(np.random.default_rng((p['seed'], 1)), w_star, p['k'], p['sigma'], p['n_test'])
  return train.x, train.y, test.x, test.y, NUM_CLASSES
