"""Settings for every test."""

import jax
import pytest


@pytest.fixture(autouse=True, scope='module')
def _fast_compiles():
  """Tiny programs: XLA's optimizations cost more compile time than they save; numerics unchanged."""
  previous = jax.config.read('jax_disable_most_optimizations')
  jax.config.update('jax_disable_most_optimizations', True)
  yield
  jax.config.update('jax_disable_most_optimizations', previous)
