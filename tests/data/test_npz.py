"""A user's own arrays from an .npz file: accepted forms and every rejected one."""

import chex
import numpy as np
import pytest

from lib.data import load_dataset


def _arrays(n_train=6, n_test=4, image=(5, 7), dtype=np.uint8):
  rng = np.random.default_rng(0)
  return {
      'x_train': rng.integers(0, 256, (n_train, *image)).astype(dtype),
      'y_train': np.arange(n_train) % 3,
      'x_test': rng.integers(0, 256, (n_test, *image)).astype(dtype),
      'y_test': np.arange(n_test) % 3,
  }


def _load(tmp_path, **arrays):
  path = tmp_path / 'data.npz'
  np.savez(path, **arrays)
  return load_dataset(f'npz:{path}')


def test_uint8_images_without_channels_are_scaled_and_given_a_channel(tmp_path):
  arrays = _arrays()
  data = _load(tmp_path, **arrays)
  chex.assert_shape(data.x_train, (6, 5, 7, 1))
  chex.assert_type([data.x_train, data.x_test], np.float32)
  chex.assert_type([data.y_train, data.y_test], np.int32)
  np.testing.assert_allclose(data.x_test[..., 0], arrays['x_test'] / 255, rtol=1e-6)
  assert data.num_classes == 3


def test_float_images_with_channels_are_kept(tmp_path):
  arrays = _arrays(n_train=8, image=(5, 7, 3), dtype=np.float64)
  arrays['y_train'], arrays['y_test'] = np.arange(8.0), np.array([0, 1, 7, 2.0])
  data = _load(tmp_path, **arrays)
  chex.assert_shape(data.x_test, (4, 5, 7, 3))
  np.testing.assert_allclose(data.x_train, arrays['x_train'], rtol=1e-6)
  assert data.num_classes == 8
  assert data.grid == (5, 7) and data.channels == 3


@pytest.mark.parametrize('change, match', [
    (lambda a: a.pop('y_test'), r"lacks keys \['y_test'\]"),
    (lambda a: a.update(y_train=a['y_train'][:-1]), r'len\(x_train\)=6 and len\(y_train\)=5'),
    (lambda a: a.update(x_test=a['x_test'][:, 0]), r'x_test.shape=\(4, 7\)'),
    (lambda a: a.update(y_train=a['y_train'][:, None]), r'y_train.shape=\(6, 1\)'),
    (lambda a: a.update(y_test=np.array([0, 1.5, 2, 0])), r'whole class numbers.*\[1.5\]'),
    (lambda a: a.update(y_test=np.array(['a', 'b', 'c', 'd'])), r'y_test.dtype=<U1'),
    (lambda a: a.update(y_train=np.array([0, 1, -1, 0, 1, 2])), r'min\(y_train\)=-1'),
    (lambda a: a.update(x_test=a['x_test'][:, :, :6]), r'x_train.shape\[1:\]=\(5, 7, 1\).*\(5, 6, 1\)'),
    (lambda a: a.update(x_train=a['x_train'].astype(np.int64)), r'x_train.dtype=int64'),
])
def test_bad_input_is_rejected_with_a_clear_message(tmp_path, change, match):
  arrays = _arrays()
  change(arrays)
  with pytest.raises(ValueError, match=match):
    _load(tmp_path, **arrays)
