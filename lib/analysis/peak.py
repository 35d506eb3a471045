"""The FLOP rate a large matmul reaches on this process's default device: the yardstick of efficiency."""

import time

import jax
import jax.numpy as jnp


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
  """GFLOP/s of a jitted `[size, size] @ [size, size]` float32 matmul, best of `repeats` calls.

  Args:
    size: the matrices' side (2048: large enough to reach the BLAS peak on a CPU).
    repeats: timed calls after one warm-up; the best counts.

  Returns:
    `2 * size**3 / seconds / 1e9` for the fastest call.
  """
  a = jax.random.normal(jax.random.key(0), (size, size), jnp.float32)
  matmul = jax.jit(jnp.matmul)
  matmul(a, a).block_until_ready()
  best = float('inf')
  for _ in range(repeats):
    tic = time.perf_counter()
    matmul(a, a).block_until_ready()
    best = min(best, time.perf_counter() - tic)
  return 2 * size**3 / best / 1e9
