"""Dense cost: a CNN written as a vanilla net: its parameters, zeros, multiply-adds, time and memory.

For the MNIST-1D paper CNN, a 28x28 CNN and a 32x32x3 CNN: free parameters, dense-equivalent entries,
zero fraction, multiply-adds factored vs materialized, and the measured time and XLA's memory estimate of
one jitted forward pass in both forms (lib.analysis.dense_cost). Where the materialized pass would need
more than --dense_limit_gb it is compiled, not run, and the size of W is given. No training.

Writes results.jsonl (one line per model), summary.md, summary.csv and dense_matrices.png (one layer's W
for FC, LCN and CNN side by side, 1-D and 2-D, drawn from lib.core.contraction.dense_matrix) to
--workdir. Times are noisy on a shared CPU: compare the two forms within one run.
"""

import json
import pathlib

from absl import flags

from lib.analysis import dense_cost

_WORKDIR = flags.DEFINE_string('workdir', 'runs/dense_cost', 'Where results and the figure go.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_MODELS = flags.DEFINE_list('models', list(dense_cost.MODELS),
                            f'Which models, from {list(dense_cost.MODELS)}.')
_BATCH = flags.DEFINE_integer('batch', 32, 'Examples per timed forward pass.')
_DENSE_LIMIT_GB = flags.DEFINE_float('dense_limit_gb', 2.0, 'Run the materialized forward pass only '
                                     'if XLA estimates it needs at most this much memory.')
_TIMING_BUDGET_S = flags.DEFINE_float('timing_budget_s', 2.0, 'Seconds of timed calls per form.')


def main(argv):
  del argv
  config = dense_cost.Config(tuple(_MODELS.value), _BATCH.value, _DENSE_LIMIT_GB.value,
                             _TIMING_BUDGET_S.value)
  config.validate()
  records = []
  for name in config.models:
    records.append(dense_cost.measure(name, config))
    print(json.dumps(records[-1]))
  dense_cost.write(records, pathlib.Path(_WORKDIR.value), config)
  print(dense_cost.markdown(records, config))
