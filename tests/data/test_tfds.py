"""TFDS datasets through the real loading code, offline: mocked, prepared locally, or missing."""

import chex
import numpy as np
import PIL.Image
import pytest
import tensorflow_datasets as tfds

from lib.data import DatasetUnavailableError, load_dataset
from lib.data import tfds_reader


class LibDataTinyImages(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Five train and three test 6x5 greyscale images whose pixels all equal 10 * label."""

  VERSION = tfds.core.Version('1.0.0')
  # No checksums file sits beside this module. (Finding the module's path would also import
  # importlib_resources, which is not installed.)
  code_path = None

  def _info(self):
    return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
        'image': tfds.features.Image(shape=(6, 5, 1)),
        'label': tfds.features.ClassLabel(num_classes=4),
    }))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {'train': self._generate_examples(5), 'test': self._generate_examples(3)}

  def _generate_examples(self, n):
    for i in range(n):
      # A PIL image is encoded by PIL; an array would need TensorFlow to encode.
      yield i, {'image': PIL.Image.fromarray(np.full((6, 5), 10 * (i % 4), np.uint8)), 'label': i % 4}


@pytest.mark.parametrize('spec, num_classes', [('tfds:mnist', 10), ('tfds:emnist:letters', 37)])
def test_mocked_dataset_is_read_through_data_source(spec, num_classes):
  with tfds.testing.mock_data(num_examples=7):
    data = load_dataset(spec)
  chex.assert_shape([data.x_train, data.x_test], (7, 28, 28, 1))
  chex.assert_shape([data.y_train, data.y_test], (7,))
  chex.assert_type([data.x_train, data.x_test], np.float32)
  chex.assert_type([data.y_train, data.y_test], np.int32)
  assert 0 <= data.x_train.min() and data.x_train.max() <= 1
  assert data.num_classes == num_classes
  assert data.name == spec


def test_dataset_prepared_as_array_record_is_decoded(tmp_path):
  LibDataTinyImages(data_dir=tmp_path, file_format='array_record').download_and_prepare()
  data = load_dataset('tfds:lib_data_tiny_images', data_dir=str(tmp_path))
  chex.assert_shape(data.x_train, (5, 6, 5, 1))
  chex.assert_shape(data.x_test, (3, 6, 5, 1))
  assert data.num_classes == 4
  expected = np.broadcast_to(10 * data.y_train[:, None, None, None] / 255, data.x_train.shape)
  np.testing.assert_allclose(data.x_train, expected, rtol=1e-6)
  np.testing.assert_array_equal(np.sort(data.y_test), [0, 1, 2])


def test_unprepared_dataset_gives_offline_advice(tmp_path, monkeypatch):
  monkeypatch.setattr(tfds_reader, 'tensorflow_installed', lambda: False)
  with pytest.raises(DatasetUnavailableError, match=r"'mnist' is not prepared.*--data_dir.*mnist1d, digits"):
    load_dataset('tfds:mnist', data_dir=str(tmp_path))
  assert not any(tmp_path.iterdir())  # nothing was downloaded or written


def test_tensorflow_fallback_reads_tfrecord_or_gives_offline_advice(tmp_path, monkeypatch):
  monkeypatch.setattr(tfds_reader, 'tensorflow_installed', lambda: True)
  monkeypatch.setattr(tfds, 'as_numpy', lambda tree: tree)
  images = np.full((2, 28, 28, 1), 255, np.uint8)
  monkeypatch.setattr(tfds, 'load', lambda *args, **kwargs: [(images, np.array([3, 4]))] * 2)
  data = load_dataset('tfds:mnist', data_dir=str(tmp_path))
  np.testing.assert_array_equal(data.x_test, np.ones((2, 28, 28, 1), np.float32))
  np.testing.assert_array_equal(data.y_train, [3, 4])

  def not_prepared(*args, **kwargs):
    raise AssertionError('Dataset mnist: could not find data')

  monkeypatch.setattr(tfds, 'load', not_prepared)
  with pytest.raises(DatasetUnavailableError, match="'mnist' is not prepared"):
    load_dataset('tfds:mnist', data_dir=str(tmp_path))


def test_unprepared_dataset_in_the_default_data_dir_gives_the_project_message(tmp_path, monkeypatch):
  """Issue 7, case 7: TFDS's raw `KeyError: ... splits is empty`, whose advice named a missing flag."""
  monkeypatch.setattr(tfds.core.constants, 'DATA_DIR', str(tmp_path / 'default'))
  with pytest.raises(DatasetUnavailableError) as raised:
    load_dataset('tfds:mnist')
  message = str(raised.value)
  assert f"'mnist' is not prepared: nothing readable in {tmp_path / 'default' / 'mnist'}" in message
  assert ('On a machine with network access run `pip install tensorflow-datasets tensorflow && tfds '
          'build mnist --file_format=array_record --data_dir=DIR`, copy DIR here and pass --data_dir=DIR'
          ) in message
  assert isinstance(raised.value.__cause__, KeyError)  # the error TFDS raised, replaced
  assert not (tmp_path / 'default').exists()


class LibDataTrainOnly(LibDataTinyImages, skip_registration=True):
  """The tiny images with a train split only."""

  def _split_generators(self, dl_manager):
    del dl_manager
    return {'train': self._generate_examples(4)}


def test_prepared_dataset_without_a_test_split_is_refused_naming_its_splits(tmp_path):
  LibDataTrainOnly(data_dir=tmp_path, file_format='array_record').download_and_prepare()
  with pytest.raises(ValueError, match=r"'lib_data_train_only' has the splits \['train'\], not \['test'\]"):
    load_dataset('tfds:lib_data_train_only', data_dir=str(tmp_path))


def test_unknown_dataset_is_named_briefly(tmp_path):
  with pytest.raises(ValueError, match=r"^TFDS has no dataset 'lib_data_no_such_set' \(.*list_builders"):
    load_dataset('tfds:lib_data_no_such_set', data_dir=str(tmp_path))
