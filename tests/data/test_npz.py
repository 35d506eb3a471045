"""A user's own arrays from an .npz file: accepted forms and every rejected one."""

import chex
import numpy as np
import pytest

from lib.data import inputs, load_dataset


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


@pytest.mark.parametrize('image', [(1, 8, 8), (3, 32, 32), (4, 6, 6)])
def test_channel_first_images_are_refused_naming_the_layout(tmp_path, image):
  """Issue 20, case 4: [n, 1, 8, 8] loaded as a 1x8 grid of 8 channels, silently."""
  with pytest.raises(ValueError, match=rf"x_train.shape=\(6, {image[0]}, {image[1]}, {image[2]}\) "
                                       r"looks channel-first.*\[n, H, W, C\].*np.moveaxis"):
    _load(tmp_path, **_arrays(image=image))


def test_channel_last_images_whose_grid_starts_small_are_kept(tmp_path):
  data = _load(tmp_path, **_arrays(image=(3, 8, 1)))  # a 3x8 grid of one channel
  chex.assert_shape(data.x_train, (6, 3, 8, 1))


def test_the_file_fingerprint_changes_with_its_content(tmp_path):
  arrays = _arrays()
  _load(tmp_path, **arrays)
  spec = f"npz:{tmp_path / 'data.npz'}"
  first = inputs.LOADED[spec]
  assert first['bytes'] == (tmp_path / 'data.npz').stat().st_size and len(first['sha256']) == 64
  _load(tmp_path, **dict(arrays, y_train=arrays['y_train'][::-1]))  # same shapes, labels moved
  assert inputs.LOADED[spec]['sha256'] != first['sha256']
  assert inputs.named_in({'dataset': spec}) == {spec: inputs.LOADED[spec]}
