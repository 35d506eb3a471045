"""Per-dataset models and training defaults.

MNIST-1D uses the paper's MLP, LCN and CNN and sweep_flags' defaults, the paper's protocol (Adam 1e-2,
batch 100, 6000 steps). Every other dataset (digits, tfds:..., npz:...) uses the image models fc, lcn,
cnn and cnn_gap, and a shorter protocol: on a 2-core CPU full-resolution convolutions would take far
longer, and 1500 steps of Adam 3e-3 with batch 64 train fc, lcn and cnn on digits to ~99% train
accuracy in under a minute each.
"""

from absl import flags

PAPER_MODELS = {'fc': 'mnist1d_mlp', 'lcn': 'mnist1d_lcn', 'cnn': 'mnist1d_cnn'}
IMAGE_MODELS = {'fc': 'fc', 'lcn': 'lcn', 'cnn': 'cnn', 'cnn_gap': 'cnn_gap'}
IMAGE_TRAIN_DEFAULTS = {'steps': 1500, 'eval_every': 1500, 'learning_rate': 3e-3, 'batch_size': 64}


def model_names(dataset: str) -> dict[str, str]:
  """Short architecture name -> `lib.core.models.ZOO` name for a dataset spec."""
  return PAPER_MODELS if dataset == 'mnist1d' else IMAGE_MODELS


def set_train_defaults(dataset: str) -> None:
  """Makes `dataset`'s defaults the defaults of sweep_flags' training flags; flags given on the
  command line keep their values. Call in `main`, before reading the flags."""
  if dataset != 'mnist1d':
    for name, value in IMAGE_TRAIN_DEFAULTS.items():
      flags.FLAGS.set_default(name, value)
