"""The kernels experiment's analysis: Monte Carlo kernels against width, and the exact kernels as
predictors.

For CNN and LCN with the same readout (`PAIRS`), the relative difference of their Monte Carlo NNGP
kernels at each width and its log-log slope: without pooling the two are one Gaussian process in the
limit (the difference falls toward zero); with global average pooling it levels off at the difference
of the exact kernels (Novak et al. 2019).
"""

import jax
import numpy as np

from lib.analysis import kernels, scaling
from lib.data import load_dataset, nested_balanced_subsets

PAIRS = {'flatten': ('cnn_flatten', 'lcn_flatten'), 'gap': ('cnn_gap', 'lcn_gap')}


def subsets(spec: str, canvas: int, num_train: int, num_test: int, num_probe: int) -> dict:
  """A dataset's class-balanced subsets as host arrays, the probe nested in the training subset.

  Args:
    spec: a `load_dataset` spec; 'digits' is placed on a `canvas x canvas` image.
    canvas: the digits' canvas side; num_train, num_test, num_probe: the subsets' sizes.

  Returns:
    `{'x_train': [num_train, *grid, C], 'y_train', 'x_test': [num_test, *grid, C], 'y_test',
    'probe': [num_probe] indices into the training subset, 'num_classes'}`.

  Raises:
    ValueError: naming the size that is below the classes or above what the dataset holds.
  """
  data = load_dataset(spec, canvas=canvas) if spec == 'digits' else load_dataset(spec)
  for name, value, limit in (('num_train', num_train, len(data.y_train)),
                             ('num_test', num_test, len(data.y_test)),
                             ('num_probe', num_probe, num_train)):
    if not data.num_classes <= value <= limit:
      raise ValueError(f'{name}={value}: must lie in [{data.num_classes}, {limit}] for {spec}')
  train = nested_balanced_subsets(data.y_train, [num_probe, num_train], seed=0)
  test = nested_balanced_subsets(data.y_test, [num_test], seed=0)[num_test]
  probe = np.searchsorted(train[num_train], train[num_probe])
  return {'x_train': data.x_train[train[num_train]], 'y_train': data.y_train[train[num_train]],
          'x_test': data.x_test[test], 'y_test': data.y_test[test], 'probe': probe,
          'num_classes': data.num_classes}


def exact_on_training_set(arrays: dict, architecture: dict) -> dict:
  """`{arch: [n_train + n_test, n_train]}`: the exact kernels between every input and the training set.

  Args:
    arrays: `{'x_train': [n_train, *grid, C], 'x_test': [n_test, *grid, C], ...}`.
    architecture: `depth`, `kernel_size`, `weight_var`, `bias_var` of `kernels.exact_kernels`.
  """
  inputs = np.concatenate([arrays['x_train'], arrays['x_test']])
  return kernels.exact_kernels(inputs, arrays['x_train'], kernels.ARCHS, **architecture)


def width_sweep(arrays: dict, exact_all: dict, widths, key: jax.Array, num_samples: int,
                architecture: dict) -> dict:
  """Monte Carlo kernels on the probe set at each width, compared with each other and with exact.

  Args:
    arrays: the subsets, with 'probe' (indices into the training set).
    exact_all: `exact_on_training_set`'s kernels.
    widths: the widths (channels; FC units).
    key: PRNG key; width w draws from `fold_in(key, w)`.
    num_samples: random networks per Monte Carlo kernel.
    architecture: as in `exact_on_training_set`.

  Returns:
    `{'widths', '{pair}_difference': [widths], '{arch}_vs_exact': [widths],
    '{pair}_exact_difference', '{pair}_slope': [slope, low, high]}`.
  """
  probe = arrays['x_train'][arrays['probe']]
  index = np.ix_(arrays['probe'], arrays['probe'])
  exact = {arch: np.asarray(k)[index] for arch, k in exact_all.items()}
  out = {'widths': list(widths), **{f'{name}_difference': [] for name in PAIRS},
         **{f'{arch}_vs_exact': [] for arch in kernels.ARCHS}}
  for width in widths:
    mc = kernels.monte_carlo_kernels(probe, probe, jax.random.fold_in(key, width), kernels.ARCHS,
                                     num_samples=num_samples, width=width, **architecture)
    for name, (cnn, lcn) in PAIRS.items():
      out[f'{name}_difference'].append(kernels.relative_difference(mc[cnn], mc[lcn]))
    for arch in kernels.ARCHS:
      out[f'{arch}_vs_exact'].append(kernels.relative_difference(mc[arch], exact[arch]))
  for name, (cnn, lcn) in PAIRS.items():
    out[f'{name}_exact_difference'] = kernels.relative_difference(exact[cnn], exact[lcn])
    fit = scaling.loglog_fit(widths, out[f'{name}_difference'])
    out[f'{name}_slope'] = [fit.slope, fit.low, fit.high]
  return out


def regression(arrays: dict, exact: dict, ridge: float) -> dict:
  """`{arch: test accuracy}` of kernel regression with each architecture's exact kernel."""
  n = len(arrays['x_train'])
  return {arch: kernels.regression_accuracy(np.asarray(k[:n]), np.asarray(k[n:]), arrays['y_train'],
                                            arrays['y_test'], arrays['num_classes'], ridge)
          for arch, k in exact.items()}
