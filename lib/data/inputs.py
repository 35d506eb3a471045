"""Fingerprints of the input files a dataset was read from, so that a work directory can tell when the
file at the same path has changed.

`load_dataset` records the fingerprint of every `npz:` and `tfds:` spec it reads in `LOADED`
(`{spec: fingerprint}`, the latest read of each spec in this process); the engine stores the
fingerprints of the specs its config names under the config's `inputs`.
"""

import hashlib
import os

LOADED: dict[str, dict] = {}


def npz_fingerprint(path: str) -> dict:
  """`{'bytes', 'sha256'}` of a file's content (read in 1 MiB blocks)."""
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(2**20), b''):
      digest.update(block)
  return {'bytes': os.path.getsize(path), 'sha256': digest.hexdigest()}


def tfds_fingerprint(builder, counts: dict[str, int]) -> dict:
  """`{'tfds', 'version', 'examples'}`: a TFDS builder's full name and version, and the number of
  examples read from each split (`counts`)."""
  return {'tfds': builder.info.full_name, 'version': str(builder.version), 'examples': dict(counts)}


def named_in(config: dict) -> dict[str, dict]:
  """The fingerprints of the loaded specs that `config` names under `dataset` or `datasets`."""
  specs = [config.get('dataset'), *(config.get('datasets') or [])]
  return {spec: LOADED[spec] for spec in specs if isinstance(spec, str) and spec in LOADED}
