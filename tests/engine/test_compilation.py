"""Matmul precision as a setting, and what the persistent compilation cache did (in this process)."""

import jax
import jax.numpy as jnp
import pytest

from lib.engine import compilation


@pytest.fixture
def restored_precision():
  previous = jax.config.jax_default_matmul_precision
  yield
  jax.config.update('jax_default_matmul_precision', previous)


def _dot_lines(name: str) -> list[str]:
  compilation.set_precision(name)
  x = jnp.ones((4, 4), jnp.float32)
  text = jax.jit(lambda a: a @ a).lower(x).compile().as_text()
  return [line for line in text.splitlines() if ' dot(' in line]


def test_the_suite_runs_at_highest_precision():
  assert compilation.precision() == 'highest'  # tests/conftest.py pins it


@pytest.mark.parametrize('name', ['high', 'highest'])
def test_precision_reaches_the_compiled_program(name, restored_precision):
  dots = _dot_lines(name)
  assert dots and all(f'operand_precision={{{name},{name}}}' in line for line in dots), dots
  assert compilation.precision() == name


def test_default_precision_leaves_the_backend_its_own(restored_precision):
  dots = _dot_lines('default')
  assert dots and not any('operand_precision' in line for line in dots), dots
  assert compilation.precision() == 'default'


def test_an_unknown_precision_names_the_flag(restored_precision):
  with pytest.raises(ValueError, match='--precision=fastest'):
    compilation.set_precision('fastest')


def test_the_precision_default_follows_the_environment(monkeypatch):
  monkeypatch.setenv('JAX_DEFAULT_MATMUL_PRECISION', 'high')
  assert compilation.default_precision('highest') == 'high'
  monkeypatch.setenv('JAX_DEFAULT_MATMUL_PRECISION', 'tensorfloat32')  # jax's, not one of ours
  assert compilation.default_precision('highest') == 'highest'


def test_the_cache_folder_is_the_users_unless_the_environment_names_one(monkeypatch, tmp_path):
  monkeypatch.delenv('JAX_COMPILATION_CACHE_DIR', raising=False)
  monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path))
  assert compilation.default_cache_dir() == str(tmp_path / 'cnn-vs-fc' / 'jax')
  monkeypatch.setenv('JAX_COMPILATION_CACHE_DIR', str(tmp_path / 'elsewhere'))
  assert compilation.default_cache_dir() == str(tmp_path / 'elsewhere')


def test_an_empty_cache_folder_is_refused():
  with pytest.raises(ValueError, match='--compilation_cache'):
    compilation.set_cache(' ')


@pytest.mark.parametrize('asked, read, written, status', [
    (0, 0, 0, 'off'), (1, 1, 0, 'read'), (2, 2, 0, 'read'), (1, 0, 1, 'written'),
    (1, 0, 0, 'not stored'), (2, 1, 0, 'not stored'), (2, 1, 1, 'written')])
def test_cache_status(asked, read, written, status):
  assert compilation.CacheEvents(asked, read, written).status == status


def test_watch_counts_only_inside_its_block():
  with compilation.watch() as events:
    jax.monitoring.record_event('/jax/compilation_cache/compile_requests_use_cache')
    jax.monitoring.record_event('/jax/compilation_cache/cache_hits')
    jax.monitoring.record_event('/jax/some_other_event')
  jax.monitoring.record_event('/jax/compilation_cache/cache_hits')
  assert events == compilation.CacheEvents(asked=1, read=1, written=0)
