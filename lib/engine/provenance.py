"""What produced a result: code version, command, library versions, devices, time."""

import datetime
import importlib.metadata
import pathlib
import platform
import subprocess
import sys

import jax

from lib.engine import compilation

PACKAGES = ('jax', 'jaxlib', 'flax', 'optax', 'numpy', 'mnist1d', 'scikit-learn',
            'tensorflow-datasets')
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _version(package: str) -> str | None:
  try:
    return importlib.metadata.version(package)
  except importlib.metadata.PackageNotFoundError:
    return None


def _git(*args: str) -> str | None:
  try:
    done = subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                          check=True)
  except (OSError, subprocess.SubprocessError):
    return None
  return done.stdout.strip()


def host_cpu() -> str:
  """The host's CPU model ('model name' of /proc/cpuinfo on Linux, else `platform.processor()`).

  Float32 results of long training runs can differ in their last digits between CPU models (the
  GEMM kernels XLA picks differ), so records name it.
  """
  try:
    for line in pathlib.Path('/proc/cpuinfo').read_text().splitlines():
      if line.startswith('model name'):
        return line.split(':', 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def provenance() -> dict:
  """The provenance of results produced by this process now.

  Returns:
    `{'git_commit', 'git_dirty', 'time', 'command', 'python', 'versions', 'platform', 'device_kind',
    'host_cpu', 'num_devices', 'num_processes', 'matmul_precision', 'compilation_cache'}`; git fields
    are None outside a git checkout; the cache is its folder, or 'off'.
  """
  commit = _git('rev-parse', 'HEAD')
  status = _git('status', '--porcelain', '--untracked-files=no') if commit else None
  return {'git_commit': commit, 'git_dirty': None if status is None else bool(status),
          'time': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
          'command': ' '.join([pathlib.Path(sys.executable).name, *sys.argv]),
          'python': platform.python_version(),
          'versions': {p: _version(p) for p in PACKAGES},
          'platform': jax.default_backend(), 'device_kind': jax.devices()[0].device_kind,
          'host_cpu': host_cpu(), 'num_devices': jax.device_count(),
          'num_processes': jax.process_count(),
          'matmul_precision': compilation.precision(),
          'compilation_cache': compilation.cache_dir() or 'off'}
