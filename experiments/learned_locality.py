"""Learned locality: does a fully connected net learn the CNN's local, tied structure by itself?

Three parts (`lib.analysis.locality_runs`); first-layer scores computed inside the compiled program:

1. `locality`: the MNIST-1D paper's MLP (Adam 1e-2, batch 100, the paper's 6000 steps, here with a
   cosine decay) at several n, with and without random circular shifts of every minibatch (those
   runs train --shift_steps, 30000: fitting every shift takes longer); locality and tying scores.
2. `efcn` (d'Ascoli et al. 2019): a CNN's dense twin started at the CNN's initialisation mapped into
   it, trained as the CNN (projected gradients) for t steps and freely after; t = all steps is the
   CNN. Beside it the same dense net from its own initialisation.
3. `beta_lasso` (Neyshabur 2020): beta-LASSO from scratch at each beta and step count, and plain SGD
   (lambda = 0) of the same learning rate at the longest; first-layer locality, sparsity and rows.

--protocol picks parts 2 and 3's defaults (a flag given overrides them):
- `cpu` (default; REDUCED, so labelled in the summary): MNIST-1D, n = 4000. eFCN of the paper CNN by
  Adam 1e-2 with a cosine decay, 3000 steps, t in {0, 100, 500, 3000}, 3 seeds; beta-LASSO on the
  paper MLP, SGD 0.1 with a cosine decay, lambda 1e-4 (the largest tried that lets it fit its
  training set: at 5e-4 it stalls near 82%), beta 50, 15000 and 30000 steps.
- `paper`: eFCN of `models.efcn_cnn` by SGD (constant 0.05, batch 100, 20000 steps; relax times from
  1/64 of the run to all of it) on digits28 (--efcn_dataset=tfds:cifar10 for the paper's CIFAR-10);
  beta-LASSO on the S-FC (`models.s_fc`) on tfds:cifar10 with the values of the public reproduction
  gojkoc54/convolutions_from_scratch: lr 0.1, lambda 2e-5, beta 0, 1 and 50, batch 512, 400 epochs
  (39,100 steps), with a cosine decay. Deviations: no batch normalisation, biases, alpha = 1
  (--sfc_alpha), no data augmentation, softmax cross-entropy; the eFCN paper's own CNN,
  learning rate and relax times were not retrievable offline, so those values are this file's.
"""

import json
import math
import pathlib

import jax
from absl import flags

from experiments import device_flags, sweep_flags
from lib.analysis import locality_runs as runs, locality_settings
from lib.data import load_dataset
from lib.engine import experiment, training
from lib.report import render

FLAGS = flags.FLAGS
PRECISION = 'highest'  # launch.py's --precision default here: eFCN is the CNN, step for step
PARTS = ('locality', 'efcn', 'beta_lasso')
PROTOCOLS = {
    'cpu': dict(efcn_dataset='mnist1d', efcn_optimizer='adam', efcn_learning_rate=1e-2,
                efcn_schedule='cosine', efcn_batch_size=100, efcn_steps=3000, efcn_t=(0, 100, 500, 3000),
                efcn_seeds=3, lasso_dataset='mnist1d', lasso_learning_rate=0.1, lasso_l1=1e-4,
                lasso_betas=(50.0,), lasso_steps=(15000, 30000), lasso_batch_size=100, n=4000),
    'paper': dict(efcn_dataset='digits28', efcn_optimizer='sgd', efcn_learning_rate=0.05,
                  efcn_schedule='constant', efcn_batch_size=100, efcn_steps=20000,
                  efcn_t=(0, 312, 1250, 5000, 10000, 20000), efcn_seeds=3,
                  lasso_dataset='tfds:cifar10', lasso_learning_rate=0.1, lasso_l1=2e-5,
                  lasso_betas=(0.0, 1.0, 50.0), lasso_steps=(39100,), lasso_batch_size=512,
                  n=None),
}

sweep_flags.define_dataset('mnist1d', 'The locality part runs on mnist1d only.')
FLAGS.set_default('schedule', 'cosine')
FLAGS.set_default('eval_every', 1000)
_WORKDIR = flags.DEFINE_string('workdir', 'runs/learned_locality', 'Where the runs and summaries go.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_PROTOCOL = flags.DEFINE_enum('protocol', 'cpu', list(PROTOCOLS), 'Defaults of the efcn and '
                              'beta_lasso parts: cpu (reduced) or paper (see the module docstring).')
_PARTS = flags.DEFINE_list('parts', None, f'Which parts, from {PARTS} (default all).')
_SIZES = flags.DEFINE_list('sizes', ['100', '500', '4000'], 'locality: training-set sizes.')
_SHIFT_STEPS = flags.DEFINE_integer('shift_steps', 30000, 'locality: steps of the shift-augmented '
                                    'runs (their objective, every shift, takes longer to fit).',
                                    lower_bound=1)
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 3, 'locality, beta_lasso: seeds.', lower_bound=1)
_SFC_ALPHA = flags.DEFINE_integer('sfc_alpha', 1, 'beta_lasso on images: S-FC width.', lower_bound=1)
flags.DEFINE_integer('n', None, 'efcn, beta_lasso: training-set size (default: protocol\'s, or all).',
                     lower_bound=1)
for _name in ('efcn_dataset', 'lasso_dataset'):
  flags.DEFINE_string(_name, None, 'A load_dataset spec; default the protocol\'s.')
  flags.register_validator(_name, lambda v: v is None or bool(v.strip()), f'--{_name} must not be empty')
flags.DEFINE_enum('efcn_schedule', None, training.SCHEDULES, 'default the protocol\'s.')
flags.DEFINE_enum('efcn_optimizer', None, training.OPTIMIZERS, 'default the protocol\'s.')
for _name in ('efcn_learning_rate', 'lasso_learning_rate', 'lasso_l1'):
  flags.DEFINE_float(_name, None, 'default the protocol\'s.')
  flags.register_validator(_name, lambda v: v is None or (0 <= v < math.inf), f'--{_name} must be '
                           'finite and not negative (learning rates: positive)')
for _name in ('efcn_batch_size', 'efcn_steps', 'efcn_seeds', 'lasso_batch_size'):
  flags.DEFINE_integer(_name, None, 'default the protocol\'s.', lower_bound=1)
for _name in ('efcn_t', 'lasso_betas', 'lasso_steps'):
  flags.DEFINE_list(_name, None, 'default the protocol\'s (efcn_t: steps as the CNN).')


def setting(name: str):
  """A flag's value, or the protocol's when the flag is not given."""
  value = FLAGS[name].value
  return PROTOCOLS[_PROTOCOL.value][name] if value is None else value


def main(argv):
  del argv
  device_flags.configure_devices()
  if FLAGS.dataset != 'mnist1d':
    raise ValueError(f'--dataset={FLAGS.dataset}: the locality part runs on mnist1d only; '
                     '--efcn_dataset and --lasso_dataset choose the other parts\' data')
  parts = sweep_flags.given_list('parts', _PARTS.value, PARTS)
  for part in parts:
    if part not in PARTS:
      raise ValueError(f'--parts: part={part!r} is not one of {PARTS}')
  seeds = tuple(range(_NUM_SEEDS.value))
  efcn_train = training.TrainConfig(
      optimizer=setting('efcn_optimizer'), learning_rate=setting('efcn_learning_rate'),
      schedule=setting('efcn_schedule'), batch_size=setting('efcn_batch_size'),
      steps=setting('efcn_steps'), eval_every=runs.tenth(setting('efcn_steps')))
  lasso_train = training.TrainConfig(optimizer='sgd', learning_rate=setting('lasso_learning_rate'),
                                     batch_size=setting('lasso_batch_size'), schedule='cosine')
  # Every flag is checked before any data loads or any program compiles.
  if 'efcn' in parts:
    locality_settings.check_train(efcn_train, 'efcn')
    ts = locality_settings.relax_times(setting('efcn_t'), efcn_train.steps)
  if 'beta_lasso' in parts:
    locality_settings.check_train(lasso_train, 'lasso')
    betas = locality_settings.distinct_numbers('lasso_betas', setting('lasso_betas'), float)
    lasso_steps = sweep_flags.positive_ints('lasso_steps', setting('lasso_steps'))
  sizes = sweep_flags.positive_ints('sizes', _SIZES.value) if 'locality' in parts else None
  load = lambda spec: load_dataset(spec, data_dir=FLAGS.data_dir)
  data = {'locality': load('mnist1d') if 'locality' in parts else None,
          'efcn': load(setting('efcn_dataset')) if 'efcn' in parts else None,
          'beta_lasso': load(setting('lasso_dataset')) if 'beta_lasso' in parts else None}
  size = lambda d: locality_settings.training_size(d, FLAGS.n, PROTOCOLS[_PROTOCOL.value]['n'])
  groups = []
  if data['locality'] is not None:
    groups += runs.locality_groups(data['locality'], sizes, seeds, sweep_flags.train_config(),
                                   _SHIFT_STEPS.value)
  if data['efcn'] is not None:
    groups += runs.efcn_groups(data['efcn'], ts, size(data['efcn']),
                               tuple(range(setting('efcn_seeds'))), efcn_train)
  if data['beta_lasso'] is not None:
    groups += runs.lasso_groups(data['beta_lasso'], betas, lasso_steps, size(data['beta_lasso']),
                                seeds, lasso_train, setting('lasso_l1'), _SFC_ALPHA.value)
  # The protocols only: parts, sizes, seeds, t, betas and step counts pick runs (their identities).
  config = {'experiment': 'learned_locality', 'protocol': _PROTOCOL.value,
            'train': vars(sweep_flags.train_config()), 'efcn_train': vars(efcn_train),
            'lasso_train': vars(lasso_train), 'lasso_l1': setting('lasso_l1'),
            'sfc_alpha': _SFC_ALPHA.value, 'shift_steps': _SHIFT_STEPS.value,
            'datasets': {part: d.name for part, d in data.items() if d is not None}}
  records = experiment.run(groups, _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  workdir = pathlib.Path(_WORKDIR.value)
  baseline = runs.at_init(data, jax.random.split(jax.random.key(2024), 8), _SFC_ALPHA.value)
  (workdir / 'baseline.json').write_text(json.dumps(baseline))
  print(render.write('learned_locality', workdir, records))
