"""The primitive under test, wrapped to take and return grid-shaped arrays like the oracles."""

from lib.core import contraction


def primitive_fn(pattern, cfg, out_grid, form, method):
  """`(x [batch, *grid, C_in], kernel [..., C_in, C_out]) -> [batch, *out_grid, C_out]`."""

  def fn(x, k):
    theta = k.reshape(pattern.num_blocks, cfg.c_in, cfg.c_out)
    y = contraction.apply_pattern(pattern, theta, x.reshape(cfg.batch, -1, cfg.c_in), form=form,
                                  method=method)
    return y.reshape(cfg.batch, *out_grid, cfg.c_out)

  return fn
