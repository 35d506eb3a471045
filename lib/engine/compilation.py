"""How programs compile: matmul precision, and JAX's persistent compilation cache.

Precision. JAX's default matmul precision is the backend's fastest: float32 on a CPU, TF32 on recent
NVIDIA GPUs, bfloat16 passes on a TPU; there the layers differ from XLA's convolution by up to about
1e-3 relative. 'highest' asks for full float32 everywhere; 'high' for a middle ground (bfloat16_3x on a
TPU, TF32 on a GPU). `set_precision` sets it for every program compiled afterwards.

Cache. With the persistent cache on, a program compiled once is written to a folder and read back by
the next process that compiles the same program (same code, shapes, flags, backend and jax), so a second
launch of a grid skips compiling. jax writes only programs that took at least
`jax_persistent_cache_min_compile_time_secs` (1 s by default) to compile. Older jax (0.10.2 among them)
refuses to write a program with host callbacks, and the engine's programs keep one (progress lines,
Ctrl-C mid-chunk): there a launch compiles every time, and the records say so (`CacheEvents`).
"""

import contextlib
import dataclasses
import os
import pathlib

import jax
from jax import monitoring

PRECISIONS = ('default', 'high', 'highest')
_HIT = '/jax/compilation_cache/cache_hits'
_WRITTEN = '/jax/compilation_cache/cache_misses'  # jax records it when it writes an entry
_ASKED = '/jax/compilation_cache/compile_requests_use_cache'


def set_precision(name: str) -> None:
  """Sets the matmul precision of every program compiled from now on.

  Args:
    name: 'default' (the backend's own), 'high' or 'highest'.

  Raises:
    ValueError: for another name.
  """
  if name not in PRECISIONS:
    raise ValueError(f'--precision={name}: expected one of {", ".join(PRECISIONS)}')
  jax.config.update('jax_default_matmul_precision', None if name == 'default' else name)


def default_precision(fallback: str = 'default') -> str:
  """$JAX_DEFAULT_MATMUL_PRECISION if it names one of PRECISIONS, else `fallback`."""
  given = os.environ.get('JAX_DEFAULT_MATMUL_PRECISION', '')
  return given if given in PRECISIONS else fallback


def precision() -> str:
  """The matmul precision in force: 'default', 'high', 'highest' (or another name jax accepts)."""
  return jax.config.jax_default_matmul_precision or 'default'


def default_cache_dir() -> str:
  """$JAX_COMPILATION_CACHE_DIR if set, else cnn-vs-fc/jax under the user's cache directory
  ($XDG_CACHE_HOME, else ~/.cache)."""
  if os.environ.get('JAX_COMPILATION_CACHE_DIR'):
    return os.environ['JAX_COMPILATION_CACHE_DIR']
  base = os.environ.get('XDG_CACHE_HOME') or pathlib.Path.home() / '.cache'
  return str(pathlib.Path(base) / 'cnn-vs-fc' / 'jax')


def set_cache(path: str) -> None:
  """Turns the persistent compilation cache on in folder `path`, or off for 'off'; call before the
  first program compiles."""
  if path == 'off':
    jax.config.update('jax_enable_compilation_cache', False)
    return
  if not path.strip():
    raise ValueError('--compilation_cache must not be empty (a folder, or off)')
  pathlib.Path(path).expanduser().mkdir(parents=True, exist_ok=True)
  jax.config.update('jax_enable_compilation_cache', True)
  jax.config.update('jax_compilation_cache_dir', str(pathlib.Path(path).expanduser()))


def cache_dir() -> str | None:
  """The persistent cache's folder, or None when it is off."""
  if not jax.config.jax_enable_compilation_cache:
    return None
  return jax.config.jax_compilation_cache_dir


@dataclasses.dataclass
class CacheEvents:
  """What the persistent cache did during a `watch` block: programs that asked it, were read from it,
  were written to it. Asked but neither read nor written: compiled and not stored (too quick to be
  worth it, or a host callback on a jax that cannot store those)."""
  asked: int = 0
  read: int = 0
  written: int = 0

  @property
  def status(self) -> str:
    """'off', 'read', 'written' or 'not stored', for the block's programs together."""
    if not self.asked:
      return 'off'
    if self.read == self.asked:
      return 'read'
    return 'not stored' if self.asked > self.read + self.written else 'written'


@contextlib.contextmanager
def watch():
  """Counts the persistent cache's events of this process while the block runs; yields CacheEvents."""
  events = CacheEvents()
  fields = {_ASKED: 'asked', _HIT: 'read', _WRITTEN: 'written'}

  def listen(event: str, **kwargs) -> None:
    del kwargs
    if event in fields:
      setattr(events, fields[event], getattr(events, fields[event]) + 1)

  monitoring.register_event_listener(listen)
  try:
    yield events
  finally:
    monitoring.unregister_event_listener(listen)
