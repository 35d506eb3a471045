"""Per-dataset architectures and default training protocols, as plain data.

One architecture has one name from flag to record to table: 'fc', 'lcn', 'cnn' (and 'cnn_gap' on
images). On MNIST-1D they are the paper's MLP, CNN and that CNN with untied weights, trained with the
paper's protocol (Adam 1e-2, batch 100, 6000 steps). On every image dataset (digits, tfds:..., npz:...)
they are `lib.core.models`' image models, trained with IMAGE_TRAIN: 1500 steps bring lcn and cnn to 100%
train accuracy on the full digits training set and on 4,000 28x28 digits, but cnn_gap (pooled readout)
only to about 97.5% on the latter (a larger learning rate, 6e-3 or 1e-2, kills it), and fc to 97.4-98.5%
when trained at shifted positions (shift_generalization), so those two train twice as long
(IMAGE_STEPS), which reached 100% and 99.1-99.6% (README: "Protocols"). FC is cheap: its extra steps
cost little.
"""

import dataclasses

from lib.core import models
from lib.core.layers import Layer
from lib.engine.training import TrainConfig

PAPER_TRAIN = TrainConfig()
IMAGE_TRAIN = TrainConfig(optimizer='adam', learning_rate=3e-3, batch_size=64, steps=1500,
                          eval_every=1500)
IMAGE_STEPS = {'fc': 3000, 'cnn_gap': 3000}  # architectures that train longer on images (steps = eval_every)
PAPER_MODELS = {'fc': 'mnist1d_mlp', 'lcn': 'mnist1d_lcn', 'cnn': 'mnist1d_cnn'}
IMAGE_MODELS = {'fc': 'fc', 'lcn': 'lcn', 'cnn': 'cnn', 'cnn_gap': 'cnn_gap'}


def is_paper(dataset: str) -> bool:
  """Whether a dataset spec trains the MNIST-1D paper's models and protocol."""
  return dataset == 'mnist1d'


def train_defaults(dataset: str, arch: str | None = None) -> TrainConfig:
  """The default training protocol of a dataset spec (and of one architecture on it)."""
  if is_paper(dataset):
    return PAPER_TRAIN
  steps = IMAGE_STEPS.get(arch)
  return dataclasses.replace(IMAGE_TRAIN, steps=steps, eval_every=steps) if steps else IMAGE_TRAIN


def model_names(dataset: str) -> dict[str, str]:
  """Architecture name -> `lib.core.models.ZOO` name, for a dataset spec."""
  return PAPER_MODELS if is_paper(dataset) else IMAGE_MODELS


def model(arch: str, dataset: str, num_classes: int, method: str = 'auto') -> Layer:
  """The model of architecture `arch` on a dataset spec.

  Raises:
    ValueError: naming `archs` and the architectures the dataset has.
  """
  names = model_names(dataset)
  if arch not in names:
    raise ValueError(f'archs: arch={arch!r} is unknown for dataset={dataset!r}; expected one of '
                     f'{list(names)}')
  return models.by_name(names[arch], num_classes, method=method)
