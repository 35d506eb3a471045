"""A dataset as host arrays, and `load_dataset`, which builds one from a spec string."""

import dataclasses

import chex
import numpy as np

from lib.data import inputs
from lib.data.digits28_reader import read_digits28
from lib.data.digits_reader import read_digits
from lib.data.mnist1d_reader import read_mnist1d
from lib.data.npz_reader import read_npz
from lib.data.synthetic_dsd import read_dsd
from lib.data.synthetic_lza import read_lza
from lib.data.tfds_reader import read_tfds, tfds_builder
from lib.data.validation import validate_arrays

SPEC_KINDS = ('mnist1d', 'digits', 'digits28', 'tfds:NAME[:CONFIG]', 'npz:PATH', 'lza:d=D', 'dsd:k=K,d=D')


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
  """Train and test examples on a grid, as host NumPy arrays.

  `load_dataset('mnist1d')` shares one cached copy of its arrays, marked read-only.

  Attributes:
    name: the spec the dataset was loaded from.
    x_train: `[n_train, *grid, channels]` float32 (MNIST-1D `[n, 40, 1]`; images `[n, H, W, C]`).
    y_train: `[n_train]` int32 labels in `[0, num_classes)`.
    x_test: `[n_test, *grid, channels]` float32.
    y_test: `[n_test]` int32 labels in `[0, num_classes)`.
    num_classes: the number of classes.
  """
  name: str
  x_train: np.ndarray
  y_train: np.ndarray
  x_test: np.ndarray
  y_test: np.ndarray
  num_classes: int

  def __post_init__(self):
    chex.assert_type([self.x_train, self.x_test], np.float32)
    chex.assert_type([self.y_train, self.y_test], np.int32)
    chex.assert_rank([self.x_train, self.x_test], {3, 4, 5})
    chex.assert_rank([self.y_train, self.y_test], 1)
    chex.assert_equal_shape_suffix([self.x_train, self.x_test], self.x_train.ndim - 1)
    chex.assert_equal_shape_prefix([self.x_train, self.y_train], 1)
    chex.assert_equal_shape_prefix([self.x_test, self.y_test], 1)
    for y in (self.y_train, self.y_test):
      if y.size and (y.min() < 0 or y.max() >= self.num_classes):
        raise ValueError(f'labels must lie in [0, num_classes={self.num_classes}), got labels in '
                         f'[{y.min()}, {y.max()}]')

  @property
  def grid(self) -> tuple[int, ...]:
    """The grid shape: `(40,)` for MNIST-1D, `(H, W)` for images."""
    return self.x_train.shape[1:-1]

  @property
  def channels(self) -> int:
    """The number of channels at each grid position."""
    return self.x_train.shape[-1]


def load_dataset(spec: str, *, data_dir: str | None = None, canvas: int = 24) -> Dataset:
  """Loads a dataset from a spec string, without downloading anything.

  Specs:
    `mnist1d`: MNIST-1D, generated locally: 4000 train and 1000 test signals, `[n, 40, 1]`.
    `digits`: scikit-learn's 8x8 digits centred on a `canvas x canvas` zero image, `[n, canvas, canvas, 1]`,
      a fixed stratified split of 1347 train and 450 test.
    `digits28`: those digits at MNIST's shape, generated: 5000 train and 5000 test copies `[n, 28, 28, 1]`,
      upsampled to 20x20 at random offsets with random contrast and noise (`lib.data.digits28_reader`).
    `tfds:NAME[:CONFIG]`: a TFDS image dataset already prepared under `data_dir` (e.g. `tfds:mnist`,
      `tfds:emnist:letters`), `[n, H, W, C]` in [0, 1].
    `npz:PATH`: the user's own arrays (see `read_npz`).
    `lza:d=D[,n_train=8192,n_test=2000,seed=0]`: Li, Zhang and Arora's Gaussian task, `[n, 2D, 1]`,
      2 classes (see `lib.data.synthetic_lza`).
    `dsd:k=K,d=D[,sigma=0.5,n_train=8192,n_test=2000,seed=0]`: Lahoti et al.'s K patches of
      dimension D, one carrying the signal, `[n, K*D, 1]`, 2 classes (see `lib.data.synthetic_dsd`).

  Args:
    spec: which dataset, as above.
    data_dir: the TFDS data directory (`tfds:` specs only); None for TFDS's default.
    canvas: the side of the digits' canvas (`digits` only); at least 8.

  Returns:
    The dataset, named by `spec`. The fingerprint of an `npz:` or `tfds:` input (`lib.data.inputs`) is
    recorded in `inputs.LOADED[spec]`.

  Raises:
    ValueError: for an unknown spec or invalid data (see `validate_arrays`: non-finite inputs, labels
      outside `[0, num_classes)`, fewer than two classes, a class without training examples).
      `DatasetUnavailableError` (a ValueError) for a TFDS dataset that is not prepared.
  """
  kind, _, rest = spec.partition(':')
  if spec == 'mnist1d':
    arrays = read_mnist1d()
  elif spec == 'digits':
    arrays = read_digits(canvas)
  elif spec == 'digits28':
    arrays = read_digits28()
  elif kind == 'tfds' and rest and rest.count(':') <= 1:
    arrays = read_tfds(rest.replace(':', '/'), data_dir)
    inputs.LOADED[spec] = inputs.tfds_fingerprint(tfds_builder(rest.replace(':', '/'), data_dir),
                                                  {'train': len(arrays[1]), 'test': len(arrays[3])})
  elif kind == 'npz' and rest:
    arrays = read_npz(rest)
    inputs.LOADED[spec] = inputs.npz_fingerprint(rest)
  elif kind == 'lza':
    arrays = read_lza(rest)
  elif kind == 'dsd':
    arrays = read_dsd(rest)
  else:
    raise ValueError(f'spec={spec!r} is not a known dataset; expected one of {", ".join(SPEC_KINDS)}')
  validate_arrays(spec, *arrays, allow_unused_classes=kind == 'tfds')
  return Dataset(spec, *arrays)
