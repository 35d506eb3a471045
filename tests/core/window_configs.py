"""A hypothesis strategy over sliding-window configurations (1-D and 2-D grids, kernels, strides,
dilations, SAME / VALID / integer / per-side padding, channels, batch), shared by the property tests.
Some draws do not fit (the dilated kernel exceeds the padded input): each test decides what to do."""

from hypothesis import strategies as st

from lib_oracles import Cfg


@st.composite
def configs(draw):
  ndim = draw(st.sampled_from([1, 2]))
  per_dim = lambda s: tuple(draw(s) for _ in range(ndim))
  grid = per_dim(st.integers(1, 9 if ndim == 1 else 6))
  kernel = per_dim(st.integers(1, 4))
  strides = per_dim(st.integers(1, 3))
  dilation = per_dim(st.integers(1, 2))
  kind = draw(st.sampled_from(['SAME', 'VALID', 'int', 'pairs']))
  if kind == 'int':
    padding = draw(st.integers(0, 2))
  elif kind == 'pairs':  # low != high allowed
    padding = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(ndim)]
  else:
    padding = kind
  return Cfg(grid, kernel, strides, padding, dilation, draw(st.integers(1, 3)),
             draw(st.integers(1, 3)), draw(st.integers(1, 2)))
