"""Model builders for the three families, and the MNIST-1D paper's models by name.

Every model is a `lib.core.layers.Layer`; FC, LCN and CNN differ only in the pattern of their hidden layers.
`FlaxMnist1dCnn` is the paper's CNN in plain Flax: the peer the speed benchmarks measure.
"""

from flax import linen

from lib.core import blur, layers, projection

FAMILIES = ('fc', 'lcn', 'cnn')
READOUTS = ('flatten', 'gap')


def hidden_layer(family: str, width: int, kernel_size, strides, padding, **kwargs) -> layers.Layer:
  """One hidden layer of a family: FC `width` units, or LCN/CNN `width` channels on the same grid."""
  if family == 'fc':
    return layers.Dense(width, **kwargs)
  if family == 'lcn':
    return layers.Local(width, kernel_size, strides, padding, **kwargs)
  if family == 'cnn':
    return layers.Conv(width, kernel_size, strides, padding, **kwargs)
  raise ValueError(f'family={family!r}: expected one of {FAMILIES}')


def hidden_layers(family: str, width: int, kernel_sizes, strides, paddings,
                  **kwargs) -> list[layers.Layer]:
  """The hidden layers of a family as a list: (a flatten for FC, then) a (layer, ReLU) pair per entry.

  Args:
    family: 'fc', 'lcn' or 'cnn'.
    width: units (FC) or channels (LCN, CNN) per layer.
    kernel_sizes, strides, paddings: one entry per layer (used by LCN/CNN only).
    **kwargs: form/method passed to every pattern layer.
  """
  stack = [layers.Flatten] if family == 'fc' else []
  for k, s, p in zip(kernel_sizes, strides, paddings, strict=True):
    stack += [hidden_layer(family, width, k, s, p, **kwargs), layers.Relu]
  return stack


def _stride1_layers(family: str, depth: int, width: int, kernel_size, **kwargs) -> list[layers.Layer]:
  return hidden_layers(family, width, [kernel_size] * depth, [1] * depth, ['SAME'] * depth, **kwargs)


def hidden_stack(family: str, *, depth: int, width: int, kernel_size=3, **kwargs) -> layers.Layer:
  """`depth` stride-1 SAME hidden layers of a family, each followed by a ReLU, without a readout.

  Returns:
    `[batch, *grid, C] -> [batch, *grid, width]` (FC: `[batch, width]`).
  """
  return layers.serial(*_stride1_layers(family, depth, width, kernel_size, **kwargs))


def conv_stack(depth: int, width: int, kernel_size=3, **kwargs) -> layers.Layer:
  """`depth` stride-1 SAME convolutions with a ReLU between consecutive ones: the last one's
  pre-activations, `[batch, *grid, C] -> [batch, *grid, width]`."""
  return layers.serial(*_stride1_layers('cnn', depth, width, kernel_size, **kwargs)[:-1])


def conv_stack_classifier(depth: int, width: int, num_classes: int, kernel_size=3,
                          **kwargs) -> layers.Layer:
  """`conv_stack`, ReLU, flatten, dense readout: `build('cnn', ...)` with the stack as `params[0]`."""
  return layers.serial(conv_stack(depth, width, kernel_size, **kwargs), layers.Relu, layers.Flatten,
                       layers.Dense(num_classes, **kwargs))


def build(family: str, *, num_classes: int, depth: int = 3, width: int = 25,
          kernel_size=3, strides=1, padding='SAME', readout: str = 'flatten',
          **kwargs) -> layers.Layer:
  """A ReLU network of `depth` hidden layers and a dense readout.

  Args:
    family: 'fc' (dense hidden layers on the flattened input), 'lcn' or 'cnn'.
    num_classes: logits.
    depth: hidden layers, at least 1.
    width: units (FC) or channels (LCN, CNN) per hidden layer.
    kernel_size, strides, padding: for every hidden layer, or a list with one entry per layer
      (a tuple is per grid dimension); LCN/CNN only.
    readout: 'flatten' (flatten + dense) or 'gap' (global average pooling + dense; LCN/CNN only).
    **kwargs: form/method passed to every pattern layer.

  Returns:
    The model: `[batch, *grid, C] -> [batch, num_classes]`.
  """
  if depth < 1:
    raise ValueError(f'depth={depth!r}: must be at least 1')
  if readout not in READOUTS:
    raise ValueError(f'readout={readout!r}: expected one of {READOUTS}')
  if family == 'fc' and readout == 'gap':
    raise ValueError("readout='gap' needs a spatial family (lcn or cnn), not family='fc'")

  def per_layer(name, value):
    if not isinstance(value, list):
      return [value] * depth
    if len(value) != depth:
      raise ValueError(f'{name}={value!r}: a list gives one entry per layer; depth={depth}')
    return value

  stack = hidden_layers(family, width, per_layer('kernel_size', kernel_size),
                        per_layer('strides', strides), per_layer('padding', padding), **kwargs)
  stack += [layers.GlobalAvgPool if readout == 'gap' else layers.Flatten,
            layers.Dense(num_classes, **kwargs)]
  return layers.serial(*stack)


def mnist1d_cnn(num_classes: int = 10, *, shared: bool = True, **kwargs) -> layers.Layer:
  """The MNIST-1D paper's CNN (5,210 parameters): three 1-D convolutions of 25 channels (kernel 5
  stride 2 padding 1, then kernel 3 stride 2 padding 1 twice), ReLU, flatten 125 -> linear 10.

  With `shared=False` the same network with untied weights: the paper's CNN as an LCN.
  """
  conv = layers.Conv if shared else layers.Local
  return layers.serial(
      conv(25, 5, 2, 1, **kwargs), layers.Relu,
      conv(25, 3, 2, 1, **kwargs), layers.Relu,
      conv(25, 3, 2, 1, **kwargs), layers.Relu,
      layers.Flatten, layers.Dense(num_classes, **kwargs))


class FlaxMnist1dCnn(linen.Module):
  """`mnist1d_cnn` written with flax.linen.Conv (XLA's convolution), as usual JAX code would: the peer
  of the project's layers in the speed benchmarks. `[batch, 40, 1] -> [batch, num_classes]`."""
  num_classes: int = 10

  @linen.compact
  def __call__(self, x):
    for kernel in (5, 3, 3):
      x = linen.relu(linen.Conv(25, (kernel,), strides=2, padding=1)(x))
    return linen.Dense(self.num_classes)(x.reshape(x.shape[0], -1))


def mnist1d_mlp(num_classes: int = 10, hidden: int = 100, *, readout: bool = True,
                **kwargs) -> layers.Layer:
  """The MNIST-1D paper's MLP: 40 -> 100 -> 100 (residual: h + relu(W h)) -> 10.

  With `readout=False` its first four layers alone (up to the second hidden layer, `[batch, hidden]`),
  whose parameters are the first four entries of the whole MLP's.
  """
  stack = [layers.Flatten, layers.Dense(hidden, **kwargs), layers.Relu,
           layers.residual(layers.serial(layers.Dense(hidden, **kwargs), layers.Relu))]
  return layers.serial(*stack, *([layers.Dense(num_classes, **kwargs)] if readout else []))


def image_fc(num_classes: int = 10, width: int = 512, **kwargs) -> layers.Layer:
  """An MLP for any grid: flatten, two dense hidden layers of `width` units, ReLU, dense readout.

  512 units: with 128 the FC trained at every shift of the digits stayed at 95-96.6% train accuracy
  (`lib.engine.protocols`).
  """
  return build('fc', num_classes=num_classes, depth=2, width=width, **kwargs)


def image_local(family: str, num_classes: int = 10, **kwargs) -> layers.Layer:
  """Three 3x3 SAME layers of 32 channels with strides 1, 2, 2, ReLU, flatten + dense readout.

  For any grid (a 1-D grid gets width-3 kernels); `family` 'lcn' (untied weights) or 'cnn' (tied).
  """
  return build(family, num_classes=num_classes, depth=3, width=32, kernel_size=3,
               strides=[1, 2, 2], **kwargs)


def image_cnn_gap(num_classes: int = 10, **kwargs) -> layers.Layer:
  """Four 3x3 SAME convolutions of 32 channels with strides 2, 2, 1, 1, ReLU, global average pool +
  dense.

  The pooled readout makes the logits invariant to shifts by multiples of the total stride (4) and only
  approximately to the others: strides alias (Zhang 2019; README's shift table measures it). Four
  layers see 23x23 pixels, enough for an MNIST digit (three stride-1 layers see 7x7 and stay near 50%
  train accuracy on 28x28 digits); the early strides keep its cost per example at half the flatten
  CNN's.
  """
  return build('cnn', num_classes=num_classes, depth=4, width=32, kernel_size=3,
               strides=[2, 2, 1, 1], readout='gap', **kwargs)


def image_cnn_blurpool(num_classes: int = 10, taps: int = 3, **kwargs) -> layers.Layer:
  """cnn_gap with anti-aliased subsampling (Zhang 2019): each stride-2 convolution becomes a stride-1
  convolution, ReLU and a `taps`-tap binomial blur subsampled by 2 (`lib.core.blur`).

  The same parameters as cnn_gap and the same output grids; the first two convolutions cost 4x theirs.
  """
  conv = lambda strides: layers.Conv(32, 3, strides, 'SAME', **kwargs)
  return layers.serial(conv(1), layers.Relu, blur.BlurPool(taps, 2),
                       conv(1), layers.Relu, blur.BlurPool(taps, 2),
                       conv(1), layers.Relu, conv(1), layers.Relu,
                       layers.GlobalAvgPool, layers.Dense(num_classes, **kwargs))


def image_cnn_gap_s1(num_classes: int = 10, **kwargs) -> layers.Layer:
  """cnn_gap at stride 1: four 3x3 SAME convolutions of 32 channels, ReLU, global average pool + dense.

  Nothing subsamples, so on a zero background its logits are invariant to any shift that keeps the
  content 4 pixels (its field's radius) inside the grid. It sees 9x9 pixels: a control for small
  images (the 8x8 digits), not for 28x28 ones; it costs 16x cnn_gap's multiply-adds.
  """
  return build('cnn', num_classes=num_classes, depth=4, width=32, kernel_size=3, strides=1,
               readout='gap', **kwargs)


ZOO = {
    'fc': image_fc,
    'lcn': lambda num_classes=10, **kw: image_local('lcn', num_classes, **kw),
    'cnn': lambda num_classes=10, **kw: image_local('cnn', num_classes, **kw),
    'cnn_gap': image_cnn_gap,
    'cnn_blurpool': image_cnn_blurpool,
    'cnn_gap_s1': image_cnn_gap_s1,
    'mnist1d_cnn': mnist1d_cnn,
    'mnist1d_lcn': lambda num_classes=10, **kw: mnist1d_cnn(num_classes, shared=False, **kw),
    'mnist1d_mlp': mnist1d_mlp,
}


def by_name(name: str, num_classes: int = 10, **kwargs) -> layers.Layer:
  """A named model from `ZOO`."""
  if name not in ZOO:
    raise ValueError(f'model={name!r}: expected one of {sorted(ZOO)}')
  return ZOO[name](num_classes, **kwargs)



# Learned locality (experiments/learned_locality.py): a tied network's dense twin, the image CNN
# whose twin is the eFCN (d'Ascoli et al. 2019), and the S-FC of Neyshabur (2020).


def dense_twin(model: layers.Layer, in_shape) -> layers.Layer:
  """The vanilla network of a serial ReLU conv net: every pattern layer a Dense on its output grid.

  Args:
    model: pattern layers each followed by ReLU, then Flatten and a Dense readout (`mnist1d_cnn`,
      `efcn_cnn`).
    in_shape: `(*grid, C)` of the inputs.

  Returns:
    `[batch, *grid, C] -> [batch, classes]`; at `projection.embedding(model, twin,
    in_shape).to_dense(params)` it computes what `model` computes at `params`.
  """
  dense = projection.dense_layers(model, in_shape)
  stack = []
  for layer in dense[:-1]:
    stack += [layer, layers.Relu]
  return layers.serial(*stack, layers.Flatten, dense[-1])


def efcn_cnn(num_classes: int = 10, channels=(16, 32), **kwargs) -> layers.Layer:
  """A small image CNN whose dense twin fits in memory: 3x3 SAME convolutions of `channels`, each at
  stride 2, ReLU, flatten + dense. On 28x28x1 its twin holds 7.4 M weights, on 32x32x3 21 M."""
  stack = []
  for width in channels:
    stack += [layers.Conv(width, 3, 2, 'SAME', **kwargs), layers.Relu]
  return layers.serial(*stack, layers.Flatten, layers.Dense(num_classes, **kwargs))


def s_fc(num_classes: int = 10, *, in_shape=(32, 32, 3), alpha: int = 1, **kwargs) -> layers.Layer:
  """Neyshabur's (2020) S-FC: the fully connected counterpart of S-CONV (one 9x9 convolution of alpha
  channels at stride 2, then 24 * alpha units): a first dense layer of alpha * H * W / 4 units, ReLU, a
  dense layer of 24 * alpha units, ReLU, dense readout. (Theirs has batch normalisation and no
  biases; these layers have biases and no normalisation.)"""
  height, width = in_shape[:2]
  return layers.serial(
      layers.Flatten, layers.Dense(alpha * height * width // 4, **kwargs), layers.Relu,
      layers.Dense(24 * alpha, **kwargs), layers.Relu, layers.Dense(num_classes, **kwargs))
