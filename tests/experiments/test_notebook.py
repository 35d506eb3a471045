"""The Colab notebook runs top to bottom on the CPU in SMALL mode, in this test's own Python.

The kernel is started from a kernel spec written for `sys.executable` (ipykernel's own spec), so the
notebook runs in the same environment as pytest; nothing is registered globally. Its working directory
is a temporary one; the notebook finds the checkout through NOTEBOOK_REPO_DIR.
"""

import json
import os
import pathlib
import sys

import jax
import nbformat
import pytest
from ipykernel import kernelspec
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / 'experiments' / 'colab.ipynb'
CELL_TIMEOUT_S = 120


def own_kernel(folder: pathlib.Path) -> KernelManager:
  """A kernel manager whose only kernel spec runs ipykernel under `sys.executable`."""
  kernels = folder / 'kernels'
  kernelspec.write_kernel_spec(kernels / 'this_python')
  specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
  manager = KernelManager(kernel_name='this_python', kernel_spec_manager=specs)
  assert manager.kernel_spec.argv[0] == sys.executable
  return manager


def outputs(cell) -> list[dict]:
  return cell.get('outputs', [])


def printed(notebook) -> str:
  return ''.join(o.get('text', '') for cell in notebook.cells for o in outputs(cell)
                 if o['output_type'] == 'stream')


@pytest.fixture(scope='module')
def executed(tmp_path_factory):
  """The notebook after a run in SMALL mode, and its working directory."""
  workdir = tmp_path_factory.mktemp('notebook')
  # As for every test (tests/conftest.py): XLA's optimizations cost tiny programs more than they save.
  env = {'NOTEBOOK_SMALL': '1', 'NOTEBOOK_REPO_DIR': str(REPO), 'JAX_PLATFORMS': 'cpu',
         'JAX_DISABLE_MOST_OPTIMIZATIONS': '1'}
  saved = {name: os.environ.get(name) for name in (*env, 'NOTEBOOK_INSTALL')}
  os.environ.update(env)
  os.environ.pop('NOTEBOOK_INSTALL', None)
  try:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, km=own_kernel(workdir), timeout=CELL_TIMEOUT_S,
                            resources={'metadata': {'path': str(workdir)}})
    client.execute()
  finally:
    for name, value in saved.items():
      if value is None:
        os.environ.pop(name, None)
      else:
        os.environ[name] = value
  return notebook, workdir


def test_committed_without_outputs():
  notebook = nbformat.read(NOTEBOOK, as_version=4)
  nbformat.validate(notebook)
  for cell in notebook.cells:
    if cell.cell_type == 'code':
      assert not outputs(cell) and cell.execution_count is None, cell.source[:60]


def test_uses_the_checkout_without_installing(executed):
  notebook, _ = executed
  assert f'Repository: {REPO} (used as it is)' in printed(notebook)


def test_says_the_cpu_stands_in(executed):
  notebook, _ = executed
  line = next(l for l in printed(notebook).splitlines() if l.startswith('Accelerator: '))
  assert line.startswith(f'Accelerator: no TPU or GPU, the CPU stands in ({os.cpu_count()} x ')
  assert line.endswith('backend cpu)')


def test_trains_every_run_through_the_engine(executed):
  notebook, workdir = executed
  records = [json.loads(line) for line in
             (workdir / 'runs' / 'colab_sample_efficiency' / 'results.jsonl').read_text().splitlines()]
  assert sorted((r['arch'], r['n'], r['seed']) for r in records) == sorted(
      (arch, n, seed) for arch in ('fc', 'lcn', 'cnn') for n in (50, 100) for seed in (0, 1))
  for arch in ('fc', 'lcn', 'cnn'):
    assert f'| {arch} | 100 | 2 ' in printed(notebook)


def test_shows_both_figures_inline(executed):
  notebook, _ = executed
  with_image = [cell.source for cell in notebook.cells
                if any('image/png' in o.get('data', {}) for o in outputs(cell))]
  assert len(with_image) == 2
  assert 'dense_matrices_figure()' in with_image[0]
  assert 'plotting.sample_efficiency' in with_image[1]


def test_writes_the_summary_and_figure_files(executed):
  _, workdir = executed
  for name in ('summary.md', 'summary.csv', 'sample_efficiency.png'):
    assert (workdir / 'runs' / 'colab_sample_efficiency' / name).stat().st_size > 0, name


def test_default_path_selects_the_experiments_default_grid(tmp_path):
  """The grid cell with SMALL off (the Colab default), executed here without the training cell."""
  notebook = nbformat.read(NOTEBOOK, as_version=4)
  (grid_cell,) = [cell.source for cell in notebook.cells if 'standard_groups(' in cell.source]
  namespace = {'SMALL': False, 'DEVICES': jax.devices(), 'BACKEND': jax.default_backend(),
               'WORKDIR': str(tmp_path / 'never_written')}
  exec(grid_cell, namespace)  # pylint: disable=exec-used
  runs = sorted((r['arch'], r['n'], r['seed']) for g in namespace['groups'] for r in g.runs)
  assert runs == sorted((arch, n, seed) for arch in ('fc', 'lcn', 'cnn')
                        for n in (50, 100, 200, 500, 1000, 4000) for seed in (0, 1, 2))
  assert namespace['train'].steps == 6000
  assert not (tmp_path / 'never_written').exists()
