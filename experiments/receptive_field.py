"""Receptive fields: theoretical (composed masks) vs effective (Luo et al. 2016) fields of conv stacks.

1-D stacks of `depth` 3-tap SAME convolutions (--width channels, ReLU, He-normal init, zero biases) on
MNIST-1D, read out by flatten + dense (`models.conv_stack_classifier`), trained by Adam (1e-3 decayed
to 0 by a cosine schedule, batch 64: the training flags) for every length in --lengths from the same
initialisation (a run's key does not depend on its length). For each depth:
- the theoretical field of the central unit of the last layer, by composing the layers' masks, against
  the closed form, and the first depth whose field covers the 40 input positions
  (`lib.analysis.field_growth.theory`, also for the MNIST-1D paper CNN's strided layers);
- the effective field of the last layer's central pre-activation, mean over test inputs of
  |d y / d x|, after training (computed inside the compiled program) and at the run's own initial
  parameters (recomputed from its key); its width is the standard deviation of the field read as a
  distribution, and the exponent a of width ~ depth^a is fitted per seed (Luo et al.: about 0.5).
- the same gradient map for the paper's MLP trained on the same data: the share of each second-layer
  unit's gradient mass inside its best window as wide as the paper CNN's third-layer field (17).
Train accuracy is shown beside test accuracy, and runs below the engine's 98% are marked: a field
that does not grow in a run that has not fit its data says little about training.

Writes results.jsonl, summary.md, summary.csv, init_fields.json (theory, the runs' fields at
initialisation), receptive_field.json (settings and exponents) and receptive_field.png to --workdir.
"""

import dataclasses
import json
import math
import pathlib

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import field_growth
from lib.analysis import receptive_field as rf
from lib.core import inits, models
from lib.data import load_dataset
from lib.engine import experiment, grids
from lib.report import render

FLAGS = flags.FLAGS
FC_WINDOW = 17  # the paper CNN's third-layer field (closed form: 1 + 4 + 2*2 + 2*4)
TRAIN_DEFAULTS = {'eval_every': 250, 'learning_rate': 1e-3, 'batch_size': 64,
                  'schedule': 'cosine'}

sweep_flags.define_dataset('mnist1d', 'A 1-D dataset (the fields are drawn on a 1-D grid).')
for _name, _value in TRAIN_DEFAULTS.items():
  FLAGS.set_default(_name, _value)
_WORKDIR = flags.DEFINE_string('workdir', 'runs/receptive_field', 'Where the runs and summaries go; '
                               're-running resumes.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_DEPTHS = flags.DEFINE_list('depths', ['2', '4', '8', '16'], 'Conv stack depths (from depth 20 the '
                            'theoretical field exceeds MNIST-1D\'s 40 positions and the border '
                            'truncates the effective one).')
_WIDTH = flags.DEFINE_integer('width', 32, 'Channels of every convolution.', lower_bound=1)
_LENGTHS = flags.DEFINE_list('lengths', ['500', '2000'], 'Training lengths (steps); each is a run of '
                             'its own from the same initialisation (replaces --steps).')
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 4, 'Trained runs per depth and length (chunks are a '
                                  'multiple of the device count).', lower_bound=2)
_EXAMPLES = flags.DEFINE_integer('erf_examples', 256, 'Test inputs averaged over.', lower_bound=1)
_SIZE = flags.DEFINE_integer('n', 4000, 'Training-set size of every run.', lower_bound=1)


def groups(data, depths, lengths, width, seeds, n, train) -> list[experiment.Group]:
  """One group per (depth, length) (evaluate: the trained field) and per length for the MLP."""
  arrays = grids.arrays(data)
  examples = min(_EXAMPLES.value, len(data.y_test))
  features, mlp = models.mnist1d_mlp(readout=False), models.mnist1d_mlp(data.num_classes)
  out = []
  for steps in lengths:
    config = dataclasses.replace(train, steps=steps, eval_every=math.gcd(steps, train.eval_every))
    for depth in depths:
      model = models.conv_stack_classifier(depth, width, data.num_classes)
      stack = models.conv_stack(depth, width)
      evaluate = (lambda params, d, f=stack: {
          'erf': rf.effective_field(f, params[0], d['x_test'][:examples])})
      out.append(experiment.Group(
          name=f'cnn depth {depth} steps {steps}', model=model, train=config, data=arrays,
          init=inits.he_normal(model), evaluate=evaluate,
          runs=tuple({'arch': 'cnn', 'depth': depth, 'steps': steps, 'n': n, 'seed': s}
                     for s in seeds)))
    out.append(experiment.Group(
        name=f'fc steps {steps}', model=mlp, train=config, data=arrays,
        evaluate=lambda params, d: {'unit_maps': rf.unit_gradient_maps(
            features, params[:4], d['x_test'][:examples])},
        runs=tuple({'arch': 'fc', 'depth': 2, 'steps': steps, 'n': n, 'seed': s} for s in seeds)))
  return out


def main(argv):
  del argv
  device_flags.configure_devices()
  data = load_dataset(FLAGS.dataset, data_dir=FLAGS.data_dir)
  if len(data.grid) != 1:
    raise ValueError(f'--dataset={FLAGS.dataset}: expected a 1-D dataset, got grid {data.grid}')
  depths = sweep_flags.positive_ints('depths', _DEPTHS.value)
  lengths = tuple(sorted(sweep_flags.positive_ints('lengths', _LENGTHS.value)))
  if _SIZE.value > len(data.y_train):
    raise ValueError(f'--n={_SIZE.value}: the training set has {len(data.y_train)} examples')
  train = sweep_flags.train_config(steps=max(lengths),
                                   eval_every=math.gcd(max(lengths), FLAGS.eval_every))
  seeds = tuple(range(_NUM_SEEDS.value))
  size = data.grid[0]
  # The protocol only: depths, lengths and seeds pick runs (their identities), so a grid can grow.
  config = {'experiment': 'receptive_field', 'dataset': FLAGS.dataset, 'width': _WIDTH.value,
            'n': _SIZE.value, 'train': vars(train), 'erf_examples': _EXAMPLES.value}
  records = experiment.run(groups(data, depths, lengths, _WIDTH.value, seeds, _SIZE.value, train),
                           _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  x = data.x_test[:min(_EXAMPLES.value, len(data.y_test))]
  init = {'seeds': list(seeds), 'theory': field_growth.theory(max(*depths, size), size),
          'fields': {str(d): field_growth.conv_init_fields(d, _WIDTH.value, data.num_classes, seeds,
                                                           _SIZE.value, x).tolist() for d in depths},
          'fc_maps': field_growth.mlp_init_maps(data.num_classes, seeds, _SIZE.value, x).tolist()}
  workdir = pathlib.Path(_WORKDIR.value)
  (workdir / 'init_fields.json').write_text(json.dumps(init))
  annotated = field_growth.annotate(records, init, FC_WINDOW)
  (workdir / 'receptive_field.json').write_text(json.dumps(
      {'depths': depths, 'lengths': lengths, 'size': size, 'width': _WIDTH.value, 'n': _SIZE.value,
       'fc_window': FC_WINDOW,
       'exponents': field_growth.exponents_by_length(annotated, depths, lengths)}, indent=1))
  print(render.write('receptive_field', workdir, records))
