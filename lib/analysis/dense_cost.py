"""What a network costs as a vanilla net: counts, and time and memory of both forms' forward pass.

For each model: free parameters, entries of the dense-equivalent matrices W, the share of them that is
structurally zero, multiply-adds of the factored form (one per kept entry) and of the materialized form
(one per entry), and the measured time and XLA's memory estimate (arguments + outputs + temporaries) of
one jitted forward pass of a batch in both forms. A form whose estimate exceeds the limit is compiled but
not run. Used by experiments/dense_cost.py.
"""

import csv
import dataclasses
import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from lib.analysis import benchmark, cost_figures
from lib.core import contraction, counting, inits, models, patterns

MODELS = {
    # name: (builder(**layer_kwargs), input shape, description)
    'mnist1d_cnn': (models.mnist1d_cnn, (40, 1), 'MNIST-1D paper CNN'),
    'cnn_28x28': (lambda **kw: models.image_local('cnn', **kw), (28, 28, 1),
                  '28x28 CNN: 3x3 convs of 32, strides 1, 2, 2'),
    'cnn_32x32x3': (lambda **kw: models.build('cnn', num_classes=10, depth=3, width=64,
                                              kernel_size=3, strides=[1, 2, 2], **kw),
                    (32, 32, 3), '32x32x3 CNN: 3x3 convs of 64, strides 1, 2, 2'),
}
BYTES_PER_ENTRY = 4  # float32
FIGURE_TITLE = 'One layer as a vanilla network: W (white = structural zero)'

@dataclasses.dataclass(frozen=True)
class Config:
  """What to measure (from the experiment's flags)."""
  models: tuple[str, ...]
  batch: int
  dense_limit_gb: float
  timing_budget_s: float

  def validate(self) -> None:
    for name in self.models:
      if name not in MODELS:
        raise ValueError(f'models: model={name!r} is not one of {list(MODELS)}')
    if not self.models:
      raise ValueError('models=[]: give at least one model')
    for name in ('batch', 'dense_limit_gb', 'timing_budget_s'):
      if not getattr(self, name) > 0:
        raise ValueError(f'{name}={getattr(self, name)!r}: must be positive')


def _memory_bytes(compiled) -> int:
  stats = compiled.memory_analysis()
  return int(stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes)


def measure(name: str, config: Config) -> dict:
  """Counts one model and times its forward pass in both forms; returns its record."""
  build, in_shape, description = MODELS[name]
  cost = counting.model_cost(build(), in_shape)
  params = jax.jit(lambda key: inits.fan_in_uniform(build())(key, in_shape))(jax.random.key(0))
  x = np.random.default_rng(1).normal(size=(config.batch, *in_shape)).astype(np.float32)
  record = {'model': name, 'description': description, 'in_shape': list(in_shape),
            'batch': config.batch, **dataclasses.asdict(cost), 'zero_fraction': cost.zero_fraction,
            'dense_mb': cost.dense_entries * BYTES_PER_ENTRY / 1e6}
  for form in contraction.FORMS:
    apply = build(form=form).apply
    compiled = jax.jit(apply).lower(params, x).compile()
    memory = _memory_bytes(compiled)
    record[f'{form}_memory_mb'] = memory / 1e6
    if memory > config.dense_limit_gb * 1e9:
      record[f'{form}_time_s'] = None
      record[f'{form}_fits'] = False
      continue
    timing = benchmark.time_jitted(apply, params, x, budget_s=config.timing_budget_s)
    record[f'{form}_time_s'] = timing.median_s
    record[f'{form}_fits'] = True
  return record


def layer_matrices(seed: int = 0) -> list[tuple[str, np.ndarray]]:
  """One layer's dense-equivalent W per family: 1-D (16 positions, kernel 3) and 2-D (5x5, 3x3).

  Each W comes from `contraction.dense_matrix` with random blocks; entries off the mask are NaN.
  """
  panels = []
  rng = np.random.default_rng(seed)
  for grid, kernel in (((16,), 3), ((5, 5), 3)):
    for family, pattern in (('FC', patterns.fully_connected(grid, grid)),
                            ('LCN', patterns.locally_connected(grid, kernel)),
                            ('CNN', patterns.convolution(grid, kernel))):
      theta = rng.normal(size=(pattern.num_blocks, 1, 1)).astype(np.float32)
      both = jax.jit(lambda t, p=pattern: (contraction.dense_matrix(p, t),
                                           contraction.dense_matrix(p, jnp.ones_like(t))))
      w, kept = (np.asarray(a) for a in both(theta))
      shape = 'x'.join(map(str, grid))
      panels.append((f'{family}, {shape} grid, kernel {kernel}: {pattern.num_blocks} free',
                     np.where(kept > 0, w, np.nan)))
  return panels


def _fmt(value, spec):
  return 'does not fit' if value is None else format(value, spec)


def markdown(records: list[dict], config: Config) -> str:
  """The summary: one row per model, then each model's per-layer counts."""
  lines = [f'# Dense cost (forward pass of a batch of {config.batch}, float32)', '',
           '| model | params | dense entries | zero fraction | MACs factored | MACs materialized '
           '| W size (MB) | time factored (ms) | time materialized (ms) | XLA memory factored (MB) '
           '| XLA memory materialized (MB) |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
  for r in records:
    ms = {form: _fmt(None if r[f'{form}_time_s'] is None else 1e3 * r[f'{form}_time_s'], '.2f')
          for form in contraction.FORMS}
    lines.append(f"| {r['description']} | {r['params']:,} | {r['dense_entries']:,} | "
                 f"{r['zero_fraction']:.4f} | {r['macs_factored']:,} | {r['macs_materialized']:,} | "
                 f"{r['dense_mb']:,.1f} | {ms['factored']} | {ms['materialized']} | "
                 f"{r['factored_memory_mb']:,.1f} | {r['materialized_memory_mb']:,.1f} |")
  lines += ['', f'"does not fit": XLA estimates more than --dense_limit_gb={config.dense_limit_gb} '
            'GB for that forward pass; it was compiled, not run.', '']
  for r in records:
    build, in_shape, description = MODELS[r['model']]
    lines += [f'## {description}, input {tuple(in_shape)}', '',
              counting.cost_table(build(), in_shape), '']
  return '\n'.join(lines)


def write(records: list[dict], workdir: pathlib.Path, config: Config) -> None:
  """config.json, results.jsonl, summary.md, summary.csv, dense_matrices.png and the matrices it
  draws, dense_matrices.npz (`titles`, and `w0`, `w1`, ... in that order)."""
  workdir.mkdir(parents=True, exist_ok=True)
  (workdir / 'config.json').write_text(json.dumps(dataclasses.asdict(config), indent=2) + '\n')
  (workdir / 'results.jsonl').write_text(''.join(json.dumps(r, sort_keys=True) + '\n'
                                                 for r in records))
  (workdir / 'summary.md').write_text(markdown(records, config))
  with open(workdir / 'summary.csv', 'w', newline='', encoding='utf-8') as f:
    writer = csv.DictWriter(f, sorted(records[0]))
    writer.writeheader()
    writer.writerows(records)
  panels = layer_matrices()
  np.savez_compressed(workdir / 'dense_matrices.npz', titles=np.array([t for t, _ in panels]),
                      **{f'w{i}': w for i, (_, w) in enumerate(panels)})
  cost_figures.dense_matrices(panels, workdir / 'dense_matrices.png', title=FIGURE_TITLE)
