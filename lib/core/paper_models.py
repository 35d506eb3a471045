"""The networks two sample-complexity papers analyse, built from lib's layers, with two logits.

Li, Zhang and Arora (ICLR 2021), on x in R^{2d} (`[batch, 2d, 1]`, label: which half has the larger
norm). Their FC net is one dense hidden layer with a quadratic activation and a dense output (their
Figure 1: as many hidden units as inputs); their CNN (Section 3.1) a convolution, a quadratic
activation pooled over each of r = 2 segments (the two halves), and a linear output. `lza_model('lcn')`
is that CNN with untied weights, which the paper does not analyse.

Lahoti et al. (ICLR 2024), on k patches of dimension d (`[batch, k*d, 1]`): each family computes one
unit per patch-sized window and sums them through the LSA activation phi_b(z) = relu(z - b) -
relu(-z - b) (Karp et al. 2021's local signal adaptivity, which zeroes |z| <= b): the CNN one filter
w in R^d on every patch (a convolution of kernel d, stride d), the LCN a filter per patch, the FCN k
units each reading the whole input. Here the k units are averaged (global average pooling) into a
dense two-logit output.
"""

import functools

import jax

from lib.core import layers

FAMILIES = ('fc', 'lcn', 'cnn')


def _check(family: str) -> None:
  if family not in FAMILIES:
    raise ValueError(f'family={family!r}: expected one of {FAMILIES}')


Square = layers.Activation(jax.numpy.square, 'Square')


def lza_model(family: str, d: int, *, channels: int = 2, kernel_size: int = 3,
              num_classes: int = 2, **kwargs) -> layers.Layer:
  """Li, Zhang and Arora's networks for inputs `[batch, 2d, 1]`.

  Args:
    family: 'fc' (2d hidden units, square, dense), 'cnn' (convolution of `channels`, square, average
      over each half, dense) or 'lcn' (the same, untied).
    d: half the input length.
    channels: channels of the convolution (CNN, LCN).
    kernel_size: taps of the convolution (SAME zero padding; the paper's is circular).
    num_classes: logits.
    **kwargs: form/method for every pattern layer.
  """
  _check(family)
  if family == 'fc':
    return layers.serial(layers.Flatten, layers.Dense(2 * d, **kwargs), Square,
                         layers.Dense(num_classes, **kwargs))
  window = layers.Conv if family == 'cnn' else layers.Local
  return layers.serial(window(channels, kernel_size, 1, 'SAME', **kwargs), Square,
                       layers.AvgPool(d), layers.Flatten, layers.Dense(num_classes, **kwargs))


def lsa(threshold: float) -> layers.Layer:
  """phi_b(z) = relu(z - b) - relu(-z - b): zero on [-b, b], the identity shifted toward 0 outside."""
  fn = functools.partial(lambda z, b: jax.nn.relu(z - b) - jax.nn.relu(-z - b), b=threshold)
  return layers.Activation(fn, 'LSA')


def dsd_model(family: str, k: int, d: int, *, threshold: float, num_classes: int = 2,
              **kwargs) -> layers.Layer:
  """Lahoti et al.'s networks for inputs `[batch, k*d, 1]`: k units, LSA, averaged, dense output.

  Args:
    family: 'cnn' (one filter on every patch), 'lcn' (a filter per patch) or 'fc' (k dense units).
    k: patches.
    d: patch dimension.
    threshold: b of the LSA activation.
    num_classes: logits.
    **kwargs: form/method for every pattern layer.
  """
  _check(family)
  if family == 'fc':
    units = layers.Dense(1, out_grid=(k,), **kwargs)  # [batch, k, 1]: k units, each sees everything
  else:
    window = layers.Conv if family == 'cnn' else layers.Local
    units = window(1, d, d, 'VALID', **kwargs)  # [batch, k, 1]: one unit per patch
  return layers.serial(units, lsa(threshold), layers.GlobalAvgPool,
                       layers.Dense(num_classes, **kwargs))


def for_task(task: str, family: str, size: dict, *, lsa_threshold: float,
             **kwargs) -> layers.Layer:
  """The network of `family` that the task's paper analyses, at one size of the task.

  Args:
    task: 'lza' (Li, Zhang and Arora), or 'dsd_k' or 'dsd_d' (Lahoti et al.'s DSD at growing k or d).
    family: 'fc', 'lcn' or 'cnn'.
    size: the task's dimensions: `{'d'}` (lza) or `{'k', 'd', 'sigma'}` (dsd, sigma its noise).
    lsa_threshold: dsd: the LSA threshold b in units of the noise sigma.
    **kwargs: form/method for every pattern layer.
  """
  if task == 'lza':
    return lza_model(family, size['d'], **kwargs)
  return dsd_model(family, size['k'], size['d'], threshold=lsa_threshold * size['sigma'], **kwargs)
