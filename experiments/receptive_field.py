"""Receptive fields: theoretical (composed masks) vs effective (Luo et al. 2016) fields of conv stacks.

1-D stacks of `depth` 3-tap SAME convolutions (--width channels, ReLU, He-normal init, zero biases) on
MNIST-1D, read out by flatten + dense. For each depth:
- the theoretical field of the central unit of the last layer, by composing the layers' masks, against
  the closed form 1 + sum_l (k_l - 1) d_l prod_{j<l} s_j, and the first depth whose field covers the
  40 input positions (also for the MNIST-1D paper CNN's strided layers);
- the effective field: the mean over test inputs of |d y[centre] / d x| of the last layer's
  pre-activation, at initialisation (--init_seeds inits, no training) and after training on the engine
  (--num_seeds runs per depth, computed inside the compiled program by the evaluate hook); its width is
  the standard deviation of the field read as a distribution, and the exponent a of width ~ depth^a is
  fitted per seed over the depths (Luo et al.: about 0.5; the theoretical field: 1).
- the same gradient map for the paper's MLP trained on the same data: every unit of its second hidden
  layer, with the share of its gradient mass inside its best window as wide as the paper CNN's
  third-layer field (17 positions); at initialisation for comparison.

Writes results.jsonl, summary.md, summary.csv, init_fields.json (theory, fields and FC maps at
initialisation), receptive_field.json (the analysis) and receptive_field.png to --workdir.
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from absl import flags

from experiments import sweep_flags
from lib.analysis import locality
from lib.analysis import receptive_field as rf
from lib.core import inits, layers, models
from lib.data import load_dataset
from lib.engine import experiment, grids, results, summary
from lib.report import render

FLAGS = flags.FLAGS
KERNEL = 3
FC_WINDOW = 17  # the paper CNN's third-layer field (closed form: 1 + 4 + 2*2 + 2*4)
TRAIN_DEFAULTS = {'steps': 1000, 'eval_every': 500, 'learning_rate': 1e-3, 'batch_size': 64}

sweep_flags.define_dataset('mnist1d', 'A 1-D dataset (the fields are drawn on a 1-D grid).')
for _name, _value in TRAIN_DEFAULTS.items():
  FLAGS.set_default(_name, _value)
_WORKDIR = flags.DEFINE_string('workdir', 'runs/receptive_field', 'Where the runs and summaries go; '
                               're-running resumes.')
flags.register_validator('workdir', lambda path: bool(path.strip()), '--workdir must not be empty')
_DEPTHS = flags.DEFINE_list('depths', ['2', '4', '8', '16', '32'], 'Conv stack depths.')
_WIDTH = flags.DEFINE_integer('width', 8, 'Channels of every convolution.', lower_bound=1)
_NUM_SEEDS = flags.DEFINE_integer('num_seeds', 4, 'Trained runs per depth (chunks are a multiple '
                                  'of the device count: 4 runs fill a chunk on 2 CPU devices).',
                                  lower_bound=1)
_INIT_SEEDS = flags.DEFINE_integer('init_seeds', 10, 'Initialisations per depth for the field at '
                                   'initialisation.', lower_bound=2)
_EXAMPLES = flags.DEFINE_integer('erf_examples', 256, 'Test inputs averaged over.', lower_bound=1)
_SIZE = flags.DEFINE_integer('n', 4000, 'Training-set size of every run.', lower_bound=1)


def conv_features(depth: int, width: int) -> layers.Layer:
  """`depth` 3-tap SAME convolutions with ReLU between them: the last one's pre-activations."""
  stack = []
  for i in range(depth):
    stack += [layers.Conv(width, KERNEL)] + ([layers.Relu] if i < depth - 1 else [])
  return layers.serial(*stack)


def conv_model(depth: int, width: int, num_classes: int) -> layers.Layer:
  """The features, ReLU, flatten and a dense readout; params[0] are the features'."""
  return layers.serial(conv_features(depth, width), layers.Relu, layers.Flatten,
                       layers.Dense(num_classes))


def mlp_features(hidden: int = 100) -> layers.Layer:
  """The first four layers of `models.mnist1d_mlp` (up to its second hidden layer): params[:4]."""
  return layers.serial(layers.Flatten, layers.Dense(hidden), layers.Relu,
                       layers.residual(layers.serial(layers.Dense(hidden), layers.Relu)))


def theory(max_depth: int, size: int) -> dict:
  """Central-unit field extents of 3-tap stacks of depth 1..max_depth (mask composition and closed
  form), their covering depths, and the paper CNN's per-layer extents."""
  model = layers.serial(*[layers.Conv(1, KERNEL)] * max_depth)
  fields = rf.model_fields(model, (size, 1))
  composed = [int(rf.field_extent(f, (size,))[size // 2, 0]) for f in fields]
  closed = [rf.closed_form_extent([KERNEL] * d, [1] * d, [1] * d) for d in range(1, max_depth + 1)]
  paper = [int(rf.field_extent(f, (size,)).max()) for f in rf.model_fields(models.mnist1d_cnn(),
                                                                           (size, 1))]
  paper_closed = [rf.closed_form_extent([5, 3, 3][:i], [2, 2, 2][:i], [1] * i) for i in (1, 2, 3)]
  return {'composed': composed, 'closed_form': closed,
          'covering_depth': rf.covering_depth(composed, size),
          'covering_depth_closed_form': rf.covering_depth(closed, size),
          'paper_cnn_extent': paper, 'paper_cnn_closed_form': paper_closed,
          'paper_cnn_covers': rf.covering_depth(paper, size) is not None}


def init_fields(depths, width, seeds: int, x: np.ndarray) -> dict[int, np.ndarray]:
  """`{depth: [seeds, positions]}`: effective fields at He initialisation, no training."""
  out = {}
  keys = jax.random.split(jax.random.key(12345), seeds)
  for depth in depths:
    features = conv_features(depth, width)
    init = inits.he_normal(features)
    fn = jax.jit(jax.vmap(lambda k, f=features, i=init: rf.effective_field(f, i(k, x.shape[1:]), x)))
    out[depth] = np.asarray(fn(keys))
  return out


def fc_maps_at_init(seeds: int, x: np.ndarray) -> np.ndarray:
  """`[seeds, units, positions]`: the MLP's second-hidden-layer gradient maps at its own init."""
  features = mlp_features()
  keys = jax.random.split(jax.random.key(54321), seeds)
  fn = jax.jit(jax.vmap(lambda k: rf.unit_gradient_maps(features, features.init(
      k, x.shape[1:])[1], x)))
  return np.asarray(fn(keys))


def map_locality(maps) -> jax.Array:
  """`[..., units]`: each gradient map's share of mass inside its best FC_WINDOW-wide window."""
  maps = jnp.asarray(maps)
  flat = maps.reshape(-1, maps.shape[-1])
  score = locality.locality_score(jnp.sqrt(flat)[..., None], (FC_WINDOW,))
  return score.reshape(maps.shape[:-1])


def groups(data, depths, width, seeds, n, train) -> list[experiment.Group]:
  """One group per depth (evaluate: the trained field) and one for the MLP (its unit maps)."""
  arrays = grids.arrays(data)
  examples = min(_EXAMPLES.value, len(data.y_test))
  out = []
  for depth in depths:
    model = conv_model(depth, width, data.num_classes)
    features = conv_features(depth, width)
    evaluate = (lambda params, d, f=features: {
        'erf': rf.effective_field(f, params[0], d['x_test'][:examples])})
    out.append(experiment.Group(
        name=f'cnn depth {depth}', model=model, train=train, data=arrays,
        init=inits.he_normal(model), evaluate=evaluate,
        runs=tuple({'arch': 'cnn', 'depth': depth, 'n': n, 'seed': s} for s in seeds)))
  features = mlp_features()
  out.append(experiment.Group(
      name='fc', model=models.mnist1d_mlp(data.num_classes), train=train, data=arrays,
      evaluate=lambda params, d: {'unit_maps': rf.unit_gradient_maps(features, params[:4],
                                                                     d['x_test'][:examples])},
      runs=tuple({'arch': 'fc', 'depth': 2, 'n': n, 'seed': s} for s in seeds)))
  return out


def exponents(widths: dict[int, np.ndarray]) -> np.ndarray:
  """`[seeds]`: the fitted exponent of width ~ depth^a, one per seed (`widths[depth]: [seeds]`)."""
  depths = sorted(widths)
  return np.array([rf.fit_exponent(depths, [widths[d][s] for d in depths])
                   for s in range(len(widths[depths[0]]))])


def analyse(records, init, fc_init, facts, depths) -> dict:
  """Widths, exponents and FC map localities from the records and the fields at initialisation."""
  trained = {d: [r for r in records if r['arch'] == 'cnn' and r['depth'] == d] for d in depths}
  width_trained = {d: np.array([float(rf.field_width(jnp.asarray(r['erf']))) for r in trained[d]])
                   for d in depths}
  width_init = {d: np.asarray(rf.field_width(jnp.asarray(init[d]))) for d in depths}
  fc = [r for r in records if r['arch'] == 'fc']
  fc_units = np.array([np.asarray(map_locality(r['unit_maps'])) for r in fc])  # [seeds, units]
  fc_units_init = np.asarray(map_locality(fc_init))
  return {'width_init': width_init, 'width_trained': width_trained,
          'exponent_init': exponents(width_init), 'exponent_trained': exponents(width_trained),
          'theory_exponent': rf.fit_exponent(depths, rf.uniform_width(
              [facts['closed_form'][d - 1] for d in depths])),
          'fc_locality': fc_units.mean(-1), 'fc_locality_init': fc_units_init.mean(-1),
          'fc_unit_locality': fc_units.ravel(), 'fc_unit_locality_init': fc_units_init.ravel(),
          'accuracy': {d: np.array([r['test_accuracy'] for r in trained[d]]) for d in depths},
          'fc_accuracy': np.array([r['test_accuracy'] for r in fc])}


def main(argv):
  del argv
  sweep_flags.configure_devices()
  data = load_dataset(FLAGS.dataset, data_dir=FLAGS.data_dir)
  if len(data.grid) != 1:
    raise ValueError(f'--dataset={FLAGS.dataset}: expected a 1-D dataset, got grid {data.grid}')
  depths = sweep_flags.positive_ints('depths', _DEPTHS.value)
  if _SIZE.value > len(data.y_train):
    raise ValueError(f'--n={_SIZE.value}: the training set has {len(data.y_train)} examples')
  train = sweep_flags.train_config()
  seeds = tuple(range(_NUM_SEEDS.value))
  size = data.grid[0]
  config = {'experiment': 'receptive_field', 'dataset': FLAGS.dataset, 'depths': depths,
            'width': _WIDTH.value, 'seeds': seeds, 'n': _SIZE.value, 'train': vars(train),
            'erf_examples': _EXAMPLES.value}
  records = experiment.run(groups(data, depths, _WIDTH.value, seeds, _SIZE.value, train),
                           _WORKDIR.value, config, sweep_flags.options())
  if jax.process_index() != 0:
    return
  x = data.x_test[:min(_EXAMPLES.value, len(data.y_test))]
  facts = theory(max(*depths, size), size)
  init = init_fields(depths, _WIDTH.value, _INIT_SEEDS.value, x)
  fc_init = fc_maps_at_init(_INIT_SEEDS.value, x)
  result = analyse(records, init, fc_init, facts, depths)
  workdir = pathlib.Path(_WORKDIR.value)
  (workdir / 'init_fields.json').write_text(json.dumps(
      {'theory': facts, 'fields': {str(d): v.tolist() for d, v in init.items()},
       'fc_maps': fc_init.tolist()}))
  (workdir / 'receptive_field.json').write_text(json.dumps(results.standard_json(
      {'depths': depths, 'size': size, 'fc_window': FC_WINDOW,
       'analysis': {k: {str(d): v for d, v in value.items()} if isinstance(value, dict) else value
                    for k, value in result.items()}})))
  for record in records:
    if record['arch'] == 'cnn':
      record['erf_width'] = float(rf.field_width(jnp.asarray(record['erf'])))
  rows = summary.summarize(records, keys=('arch', 'depth'), metrics=(
      'test_accuracy', 'train_accuracy', 'erf_width'))
  summary.write_csv(rows, workdir / 'summary.csv')
  print(render.write('receptive_field', workdir, records))
