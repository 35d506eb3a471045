"""Sections of the benchmarks: layer speed, the engine at MNIST and CIFAR scale, the engine against a
per-step jitted loop."""

import pathlib

from lib.report.section import Section, read_json


def layer_speed_table(rows: list[dict]) -> str:
  """One line per (scale, family, case): time as a call and inside lax.scan, ratios, FLOP rates."""
  lines = ['| scale | family | case | params | ms | ratio | GFLOP/s (of peak) | ms in lax.scan | '
           'ratio in scan | GFLOP/s in scan (of peak) | vs | compile s | memory MB |',
           '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|']
  for r in rows:
    memory = '' if r['memory_bytes'] is None else f"{r['memory_bytes'] / 2**20:,.0f}"
    lines.append(f"| {r['scale']} | {r['family']} | {r['case']} | {r['params']:,} | "
                 f"{1e3 * r['median_s']:,.1f} | {r['median_ratio']:.2f} | "
                 f"{r['gflops']:,.1f} ({r['peak_fraction']:.2f}) | "
                 f"{1e3 * r['scan_step_s']:,.1f} | {r['scan_step_ratio']:.2f} | "
                 f"{r['scan_gflops']:,.1f} ({r['scan_peak_fraction']:.2f}) | {r['reference']} | "
                 f"{r['compile_s']:.2f} | {memory} |")
  return '\n'.join(lines)


def layer_speed(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The layer_speed table and each scale's matmul peak and LCN/CNN rate, from layer_speed.json."""
  del records
  data = read_json(workdir, 'layer_speed.json')
  meta = data['meta']
  notes = [f"{name}: the {meta['matmul']} ran at {s['matmul_gflops']:,.1f} GFLOP/s among these calls "
           f"(the peak); inside lax.scan the factored LCN runs at {s['lcn_cnn_scan_rate_ratio']:.2f}x "
           'the FLOP rate of the factored CNN (equal multiply-adds; both auto).'
           for name, s in data['summary'].items()]
  measured = f"jax {meta['jax']}, {meta['backend']}, {meta['device']}, {meta['cpus']} CPUs"
  notes.insert(0, f'Measured with {measured}.')
  title = f'Layer speed: forward and both gradients ({measured})'
  return Section(title, {'summary': layer_speed_table(data['rows']) + '\n\n' + '\n'.join(notes) + '\n'})


def duration(seconds: float) -> str:
  """'1.5 s', or '12 ms' where tenths of a second would round a time to zero."""
  return f'{seconds:,.1f} s' if seconds >= 0.95 else f'{1e3 * seconds:,.0f} ms'


def scale_table(rows: list[dict]) -> str:
  """One line per (shape, arch): time per run, runs per minute, FLOP rate, compile time and memory."""
  lines = ['| shape | arch | params | time / run (steps) | full protocol s / run | runs / min | '
           'GFLOP/s | of matmul peak | compile | peak RSS (GB) |',
           '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
  for r in rows:
    compile_s = r.get('compile_s')
    compiled = '' if compile_s is None else duration(compile_s) + (
        ' (cache)' if r.get('compiled_from_cache') else '')
    lines.append(f"| {r['shape']} | {r['arch']} | {r['params']:,} | {duration(r['seconds_per_run'])} "
                 f"({r['steps']}) | {r['protocol_seconds_per_run']:,.1f} ({r['protocol_steps']}) | "
                 f"{r['runs_per_minute']:,.1f} | {r['gflops']:.1f} | "
                 f"{r['gflops'] / r['matmul_gflops']:.0%} | {compiled} | {r['peak_rss_gb']:.2f} |")
  return '\n'.join(lines) + '\n'


def scale(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The scale table, from scale.json."""
  del records
  return Section('The engine at MNIST and CIFAR-10 scale (generated arrays)',
                 {'summary': scale_table(read_json(workdir, 'scale.json'))})


LOOP_LAYERS = {'ours': "per-step `jax.jit` loop, this project's layers",
               'flax': 'per-step `jax.jit` loop, `flax.linen.Conv`',
               'ours_vmap': "per-step `jax.jit` loop of `jax.vmap` over the runs, this project's layers",
               'flax_vmap': 'per-step `jax.jit` loop of `jax.vmap` over the runs, `flax.linen.Conv`'}


def sweep_speed_table(report: dict) -> str:
  """The engine's trained CNNs per minute against each per-step jitted loop's (sweep_speed.json)."""
  engine = report['engine']
  rate = lambda r: (f" {r['gflops']:.1f} | {r['peak_fraction']:.0%} |" if 'gflops' in r else ' - | - |')
  lines = ['| trainer | runs | trained CNNs per minute | engine / it | GFLOP/s | of matmul peak | '
           'best train s | compile s |',
           '|---|---:|---:|---:|---:|---:|---:|---:|',
           f"| this engine, the runs vmapped in one program | {engine['runs']} | "
           f"{engine['models_per_minute']:.1f} | 1.00 |{rate(engine)} {engine['best_train_s']:.1f} | "
           f"{engine['compile_s']:.1f} |"]
  if 'engine_lcn' in report:
    lcn = report['engine_lcn']
    lines.append(f"| this engine, the paper's CNN untied (lcn; the same multiply-adds) | {lcn['runs']} | "
                 f"{lcn['models_per_minute']:.1f} | "
                 f"{engine['models_per_minute'] / lcn['models_per_minute']:.2f} |{rate(lcn)} "
                 f"{lcn['best_train_s']:.1f} | {lcn['compile_s']:.1f} |")
  for name, loop in report['jit_loop'].items():
    lines.append(f"| {LOOP_LAYERS.get(name, name)} | {loop['runs']} | "
                 f"{loop['models_per_minute']:.1f} | {report['ratio'][name]:.2f} |{rate(loop)} "
                 f"{loop['best_train_s']:.1f} | {loop['compile_s']:.1f} |")
  peak = (f"; the 2048^3 float32 matmul (the peak) reached {max(report['matmul_gflops']):.1f} GFLOP/s "
          'in the same rounds' if 'matmul_gflops' in report else '')
  lines += ['', f"{report['steps']} steps, batch {report['batch_size']}, {report['devices']} "
            f"{report['device_kind']} devices, jax {report['jax']}; rates exclude compile time, best of "
            f"{len(engine['train_s'])} interleaved repeats{peak}."]
  if 'gemms_alone' in report:
    gemms = report['gemms_alone']
    lines.append(f"The GEMMs of one engine step by themselves ({gemms['runs']} runs, every layer's "
                 f"forward and both gradients, patches given): {1e3 * gemms['step_s']:.2f} ms, "
                 f"{gemms['gflops']:.1f} GFLOP/s, {gemms['peak_fraction']:.0%} of the peak.")
  return '\n'.join(lines) + '\n'


def sweep_speed(workdir: pathlib.Path, records: list[dict] | None = None) -> Section:
  """The engine-speed table, from sweep_speed.json."""
  del records
  return Section('Engine speed: MNIST-1D paper CNNs per minute',
                 {'summary': sweep_speed_table(read_json(workdir, 'sweep_speed.json'))})
