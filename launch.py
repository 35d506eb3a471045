"""Runs one experiment: python launch.py --experiment=NAME [--flags].

Each experiment is a module experiments/NAME.py that defines a `main(argv)` and its own absl flags;
its docstring's first line describes it (experiments/ also holds shared flag modules, which have no
`main`). Only the chosen module is imported, so experiments may define flags of the same name.
`python launch.py --help` lists the experiments; with `--experiment=NAME` it also lists that
experiment's flags. When an experiment with a --workdir finishes, the command that produced it is
recorded there (`lib.engine.launched`).

Two flags apply to every experiment, before its main runs: --precision (the matmul precision of every
compiled program; an experiment whose module sets `PRECISION` defaults to that, e.g. 'highest' where it
checks exactness) and --compilation_cache (JAX's persistent compilation cache: a folder, or off).
"""

import importlib
import pathlib
import sys

from absl import app, flags

from lib.engine import compilation, interrupt, launched

EXPERIMENTS_DIR = pathlib.Path(__file__).resolve().parent / 'experiments'


def available() -> dict[str, str]:
  """Experiment name -> the first line of its docstring."""
  found = {}
  for path in sorted(EXPERIMENTS_DIR.glob('*.py')):
    text = path.read_text()
    if path.stem.startswith('_') or '\ndef main(' not in text:
      continue
    doc = next((line.strip().strip('"') for line in text.splitlines() if line.strip()), '')
    found[path.stem] = doc
  return found


def chosen(argv: list[str]) -> str | None:
  """The value of --experiment in argv, if given."""
  for i, arg in enumerate(argv):
    if arg.startswith('--experiment='):
      return arg.split('=', 1)[1]
    if arg == '--experiment' and i + 1 < len(argv):
      return argv[i + 1]
  return None


def listing() -> str:
  names = available()
  width = max(map(len, names), default=0)
  return 'Experiments (python launch.py --experiment=NAME [--flags]):\n' + '\n'.join(
      f'  {name.ljust(width)}  {doc}' for name, doc in names.items())


def main() -> None:
  name = chosen(sys.argv)
  names = available()
  if name is None or name not in names:
    if name is not None:
      print(f'Unknown experiment {name!r}.\n', file=sys.stderr)
    print(listing(), file=sys.stderr if name is not None else sys.stdout)
    sys.exit(0 if name is None and any(a in ('--help', '-h', '--helpfull') for a in sys.argv) else 2)
  flags.DEFINE_string('experiment', None, 'Which experiment to run: ' + ', '.join(names))
  module = importlib.import_module(f'experiments.{name}')
  define_compilation_flags(compilation.default_precision(getattr(module, 'PRECISION', 'default')))

  def run(argv):
    guarded(lambda rest: compiled_as_flagged(module.main, rest), argv)
    if 'workdir' in flags.FLAGS and flags.FLAGS.workdir:
      launched.write(pathlib.Path(flags.FLAGS.workdir), name, sys.argv[1:])

  app.run(run)


def define_compilation_flags(precision: str) -> None:
  """Defines --precision (default `precision`) and --compilation_cache."""
  flags.DEFINE_enum('precision', precision, compilation.PRECISIONS, 'Matmul precision of every '
                    'compiled program, recorded in each record\'s provenance. default: the '
                    'backend\'s fastest (float32 on a CPU, TF32 on an NVIDIA GPU, bfloat16 passes on a '
                    'TPU: the layers then differ from XLA\'s convolution by up to about 1e-3); highest: '
                    'float32 everywhere.')
  flags.DEFINE_string('compilation_cache', compilation.default_cache_dir(), 'JAX\'s persistent '
                      'compilation cache: a folder, or off. A program compiled once is read back by '
                      'the next launch that compiles it (default: $JAX_COMPILATION_CACHE_DIR, else '
                      'under the user\'s cache directory).')


def compiled_as_flagged(experiment_main, argv) -> None:
  """Applies --precision and --compilation_cache, then runs the experiment's main."""
  compilation.set_precision(flags.FLAGS.precision)
  compilation.set_cache(flags.FLAGS.compilation_cache)
  experiment_main(argv)


def guarded(experiment_main, argv) -> None:
  """Runs an experiment's main: a bad value, or Ctrl-C, ends in one line, not a traceback."""
  try:
    experiment_main(argv)
  except ValueError as error:
    print(f'launch.py: error: {error}', file=sys.stderr)
    sys.exit(2)
  except (interrupt.Interrupted, KeyboardInterrupt) as stop:
    print(f'Interrupted. {stop}'.strip(), file=sys.stderr)
    sys.exit(130)


if __name__ == '__main__':
  main()
