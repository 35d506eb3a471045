"""Data validated at load, for every dataset kind: finite inputs, labels in range, classes in train."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.data import dataset, load_dataset
from lib.data.validation import validate_arrays


def _arrays(y_train=(0, 1, 2, 0, 1, 2), y_test=(0, 1, 2, 1)):
  """Tiny `[n, 3, 4]` uint8 images with the given labels, as `np.savez` keywords."""
  rng = np.random.default_rng(0)
  return {'x_train': rng.integers(0, 256, (len(y_train), 3, 4)).astype(np.uint8),
          'y_train': np.array(y_train), 'x_test': rng.integers(0, 256, (len(y_test), 3, 4)).astype(np.uint8),
          'y_test': np.array(y_test)}


def _spec(tmp_path, **arrays) -> str:
  path = tmp_path / 'data.npz'
  np.savez(path, **arrays)
  return f'npz:{path}'


@pytest.mark.parametrize('key', ['x_train', 'x_test'])
@pytest.mark.parametrize('value', [np.nan, np.inf])
def test_non_finite_pixels_in_npz_are_refused_naming_the_spec(tmp_path, key, value):
  """Issue 7, case 3: NaN pixels passed the loader, and the run was blamed ("diverged")."""
  arrays = _arrays()
  arrays[key] = arrays[key].astype(np.float32) / 255
  arrays[key][2, 1, 1] = value
  spec = _spec(tmp_path, **arrays)
  with pytest.raises(ValueError, match=rf"dataset='{spec}': {key} holds non-finite values \(NaN or "
                                       rf"infinity\) in 1 of \d examples \(the first at indices \[2\]\)"):
    load_dataset(spec)


def test_one_label_99_among_0_to_9_is_refused_naming_it(tmp_path):
  """Issue 7, case 9: a label 99 silently made a 100-class problem."""
  labels = list(range(10)) * 2
  spec = _spec(tmp_path, **_arrays(y_train=labels[:-1] + [99], y_test=labels))
  with pytest.raises(ValueError, match=rf"dataset='{spec}': classes 10-98 of num_classes=100 have no "
                                       rf"training example \(labels in y_train: 0-9, 99\)"):
    load_dataset(spec)


def test_class_only_in_the_test_set_is_refused(tmp_path):
  """Issue 7, case 9: a class present only in the test set passed without a word."""
  spec = _spec(tmp_path, **_arrays(y_train=(0, 1, 2, 0), y_test=(0, 3, 1)))
  with pytest.raises(ValueError, match=r'classes 3 appear in y_test but never in y_train \(classes in '
                                       r'y_train: 0-2\)'):
    load_dataset(spec)


def test_single_class_is_refused(tmp_path):
  """Issue 7, case 9: a single class passed without a word."""
  spec = _spec(tmp_path, **_arrays(y_train=(0, 0, 0), y_test=(0,)))
  with pytest.raises(ValueError, match=rf"dataset='{spec}': a classifier needs at least two classes, "
                                       rf"got num_classes=1"):
    load_dataset(spec)


def _bad_pixels(*args):
  del args
  x, y = np.zeros((4, 3, 1), np.float32), np.array([0, 1, 0, 1], np.int32)
  x[3, 0, 0] = np.nan
  return x, y, x[:2], y[:2], 2


def _bad_labels(*args):
  del args
  x = np.zeros((4, 3, 1), np.float32)
  return x, np.array([0, 1, 0, 1], np.int32), x[:2], np.array([1, 7], np.int32), 2


@pytest.mark.parametrize('spec, reader', [
    ('mnist1d', 'read_mnist1d'), ('digits', 'read_digits'), ('tfds:mnist', 'read_tfds'),
    ('lza:d=2', 'read_lza'), ('dsd:k=2,d=2', 'read_dsd')])
@pytest.mark.parametrize('bad, match', [
    (_bad_pixels, r'x_train holds non-finite values .*the first at indices \[3\]'),
    (_bad_labels, r'y_test holds labels 7 outside the classes 0-1 \(num_classes=2\), in 1 examples'),
], ids=['nan_pixel', 'label_out_of_range'])
def test_every_dataset_kind_is_validated_at_load(monkeypatch, spec, reader, bad, match):
  monkeypatch.setattr(dataset, reader, bad)
  with pytest.raises(ValueError, match=f"dataset='{spec}': {match}"):
    load_dataset(spec)


def test_unused_classes_are_allowed_only_when_declared():
  x = np.zeros((4, 2, 1), np.float32)
  y = np.array([1, 2, 1, 2], np.int32)
  validate_arrays('tfds:emnist:letters', x, y, x, y, 5, allow_unused_classes=True)
  with pytest.raises(ValueError, match='classes 0, 3-4 of num_classes=5 have no training example'):
    validate_arrays('tfds:emnist:letters', x, y, x, y, 5)
  with pytest.raises(ValueError, match=r'y_train holds a single class \(1\)'):
    validate_arrays('tfds:x', x, np.ones(4, np.int32), x, np.ones(4, np.int32), 5,
                    allow_unused_classes=True)


@pytest.mark.parametrize('change, match', [
    (lambda a: a.update(y_train=a['y_train'].astype(np.float32)), 'y_train must hold integer labels'),
    (lambda a: a.update(y_test=-a['y_test']), 'y_test holds labels -1 outside'),
    (lambda a: a.update(x_test=a['x_test'][:0], y_test=a['y_test'][:0]), 'x_test holds no examples'),
])
def test_malformed_arrays_are_refused(change, match):
  arrays = {'x_train': np.zeros((4, 2, 1), np.float32), 'y_train': np.array([0, 1, 0, 1], np.int32),
            'x_test': np.zeros((2, 2, 1), np.float32), 'y_test': np.array([1, 1], np.int32)}
  change(arrays)
  with pytest.raises(ValueError, match=match):
    validate_arrays('toy', **arrays, num_classes=2)


@settings(deadline=None, max_examples=50)
@given(num_classes=st.integers(2, 6), data=st.data())
def test_labels_pass_exactly_when_train_holds_every_class(num_classes, data):
  labels = st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=12)
  y_train, y_test = (np.array(data.draw(labels), np.int32) for _ in range(2))
  x_train, x_test = np.zeros((len(y_train), 2, 1), np.float32), np.zeros((len(y_test), 2, 1), np.float32)
  sound = set(y_train.tolist()) == set(range(num_classes))
  if sound:
    validate_arrays('toy', x_train, y_train, x_test, y_test, num_classes)
  else:
    with pytest.raises(ValueError, match="dataset='toy': (classes|y_train holds a single class)"):
      validate_arrays('toy', x_train, y_train, x_test, y_test, num_classes)
