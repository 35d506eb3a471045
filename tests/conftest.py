"""Settings for every test.

The suite pins matmul precision to 'highest', in this process and (through the environment, which
launch.py's --precision default reads) in the experiments it launches, so that exactness checks hold on
a GPU or TPU as on the CPU. Launched experiments share one temporary compilation cache folder instead of
the user's.
"""

import os
import tempfile

import jax
import pytest

jax.config.update('jax_default_matmul_precision', 'highest')
os.environ['JAX_DEFAULT_MATMUL_PRECISION'] = 'highest'
_CACHE = tempfile.TemporaryDirectory(prefix='cnn-vs-fc-test-cache-')
os.environ['JAX_COMPILATION_CACHE_DIR'] = _CACHE.name


@pytest.fixture(autouse=True, scope='module')
def _fast_compiles():
  """Tiny programs: XLA's optimizations cost more compile time than they save; numerics unchanged."""
  previous = jax.config.read('jax_disable_most_optimizations')
  jax.config.update('jax_disable_most_optimizations', True)
  yield
  jax.config.update('jax_disable_most_optimizations', previous)
