"""The device's rule for chunk width and memory budget, with faked devices (no GPU needed)."""

import dataclasses

import pytest

from lib.core import models
from lib.engine import experiment, grids, training, widths

GB = 2**30


@dataclasses.dataclass
class FakeDevice:
  """A device as the rule sees it: a platform and, on an accelerator, its memory stats."""
  platform: str
  limit: int | None = None
  in_use: int = 0
  process_index: int = 0

  def memory_stats(self):
    return None if self.limit is None else {'bytes_limit': self.limit, 'bytes_in_use': self.in_use}


CPU = [FakeDevice('cpu'), FakeDevice('cpu')]
GPU = FakeDevice('gpu', limit=80 * GB, in_use=20 * GB)


def test_cpu_keeps_small_chunks_and_three_gigabytes():
  assert widths.chunk_size(CPU, 100) == widths.CPU_CHUNK_SIZE == 8
  assert widths.memory_budget_bytes(CPU, 2) == 3.0 * GB


@pytest.mark.parametrize('platform', ['gpu', 'tpu'])
def test_accelerator_takes_the_whole_group_within_its_free_memory(platform):
  devices = [dataclasses.replace(GPU, platform=platform)]
  assert widths.chunk_size(devices, 128) == 128
  assert widths.memory_budget_bytes(devices, 1) == pytest.approx(0.9 * 60 * GB)


def test_accelerator_budget_is_the_least_free_device_times_the_mesh():
  devices = [GPU, dataclasses.replace(GPU, in_use=70 * GB)]
  assert widths.memory_budget_bytes(devices, 4) == pytest.approx(0.9 * 10 * GB * 4)


def test_an_accelerator_without_memory_stats_falls_back_to_the_cpu_budget():
  assert widths.memory_budget_bytes([FakeDevice('gpu')], 1) == 3.0 * GB


def test_given_flags_win_on_every_device():
  for devices in (CPU, [GPU]):
    assert widths.chunk_size(devices, 128, given=5) == 5
    assert widths.memory_budget_bytes(devices, 1, given_gb=0.5) == 0.5 * GB


def _width(small_data, monkeypatch, device, runs=12) -> int:
  """The chunk width the engine picks for `runs` tiny MLP runs when its device is `device`."""
  monkeypatch.setattr(widths, 'local_devices', lambda mesh: [device])
  group = experiment.Group(
      name='fc', model=models.mnist1d_mlp(hidden=16),
      train=training.TrainConfig(steps=2, eval_every=1, batch_size=4), data=grids.arrays(small_data),
      runs=tuple({'arch': 'fc', 'n': 10, 'seed': s} for s in range(runs)))
  mesh = experiment.sharding.run_mesh()
  return experiment.Program(group, experiment.Options(), mesh, experiment.place(group, mesh)).width


def test_the_engine_gives_an_accelerator_one_call_per_group_where_it_fits(small_data, monkeypatch):
  devices = experiment.sharding.run_mesh().devices.size
  assert _width(small_data, monkeypatch, FakeDevice('cpu')) == 8  # today's CPU width
  assert _width(small_data, monkeypatch, GPU) == -(-12 // devices) * devices  # the whole group
  tight = dataclasses.replace(GPU, limit=GPU.in_use + 1)  # one byte free: the narrowest call
  assert _width(small_data, monkeypatch, tight) == devices
