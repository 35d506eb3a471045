"""Per-dataset training defaults that replace sweep_flags' MNIST-1D protocol where it is too slow.

sweep_flags' defaults are the MNIST-1D paper's (Adam 1e-2, batch 100, 6000 steps). On the digits
canvas the image models (full-resolution convolutions) would take far longer on a 2-core CPU; 1500
steps of Adam 3e-3 with batch 64 train fc, lcn and cnn to ~99% train accuracy in under a minute each.
"""

from absl import flags

TRAIN_DEFAULTS = {
    'mnist1d': {},
    'digits': {'steps': 1500, 'eval_every': 1500, 'learning_rate': 3e-3, 'batch_size': 64},
}


def set_train_defaults(dataset: str) -> None:
  """Makes `dataset`'s defaults the defaults of sweep_flags' training flags; flags given on the
  command line keep their values. Call in `main`, before reading the flags."""
  for name, value in TRAIN_DEFAULTS.get(dataset, {}).items():
    flags.FLAGS.set_default(name, value)
