"""The GEMMs-alone operands are the factored contraction's own: on the patches of an input they give
`apply_pattern`'s output (tied, untied, fully connected), and `step` counts what it runs."""

import chex
import jax
import jax.numpy as jnp
import pytest

from lib.analysis import gemm_floor
from lib.core import layers
from lib.core.contraction import apply_pattern
from lib.core.patterns import Sharing

LAYERS = {
    'tied': layers.Conv(3, (3, 3), strides=(2, 1)),
    'untied': layers.Local(3, (3, 2), padding='VALID'),
    'dense': layers.Dense(4),
}
IN_SHAPE = (6, 5, 2)
BATCH = 3


def _patches(info, x):
  """The operand `operands` describes, built from the input `[batch, N_in, C_in]`."""
  pattern = info.pattern
  if pattern.is_dense:
    return x.reshape(x.shape[0], -1)
  taps = jnp.take(x, pattern.index, axis=1, mode='fill', fill_value=0)  # [B, N_out, k, C_in]
  taps = taps.reshape(x.shape[0], pattern.n_out, -1)
  if pattern.sharing is Sharing.TIED:
    return taps.reshape(-1, taps.shape[-1])
  return taps.transpose(1, 0, 2)


@pytest.mark.parametrize('name', list(LAYERS))
def test_the_gemms_on_real_patches_are_the_contraction(name):
  (info,) = LAYERS[name].describe(IN_SHAPE)[1]
  pattern = info.pattern
  apply, params, patches = gemm_floor.operands(info, BATCH, jax.random.key(0))
  x = jax.random.normal(jax.random.key(1), (BATCH, pattern.n_in, info.c_in))
  given = _patches(info, x)
  chex.assert_shape(given, patches.shape)
  theta = params['kernel'].reshape(pattern.num_blocks, info.c_in, info.c_out)
  expected = apply_pattern(pattern, theta, x)  # [B, N_out, C_out]
  got = apply(params, given)
  if pattern.sharing is Sharing.UNTIED and not pattern.is_dense:
    got = got.transpose(1, 0, 2)  # position-major
  chex.assert_trees_all_close(got.reshape(expected.shape), expected, atol=1e-5)
  assert gemm_floor.multiply_adds(info, BATCH) == patches.size * params['kernel'].shape[-1]


def test_step_runs_every_layer_for_every_run_and_counts_its_flops():
  model = layers.serial(LAYERS['tied'], layers.Flatten, LAYERS['dense'])
  infos = model.describe(IN_SHAPE)[1]
  fn, args, flops = gemm_floor.step(infos, BATCH, 2, jax.random.key(0))
  outputs = jax.jit(fn)(*args)
  assert len(outputs) == len(infos) == 2
  for (y, (d_params, d_x)), (params, x, cotangent) in zip(outputs, args[0]):
    chex.assert_equal_shape([y, cotangent])
    chex.assert_equal_shape([d_x, x])
    chex.assert_trees_all_equal_shapes(d_params, params)
    assert y.shape[0] == 2  # runs
  assert flops == 6 * 2 * sum(gemm_floor.multiply_adds(info, BATCH) for info in infos)
