"""`launch.py --experiment=report`: README's tables and the committed figures, redrawn from the
reproduction's work directories.

For every catalogue entry with a complete work directory `ROOT/KEY`, each of its tables fills its
README block (with the command that produced it and its wall time from `ROOT/reproduce.json`) and each
of its committed figures is drawn again into the figures directory. A missing or incomplete work
directory leaves its blocks and figures as they are; every such key, and every block README lacks, is
reported in one line.
"""

import ast
import dataclasses
import datetime
import os
import pathlib

from lib.analysis import plotting
from lib.engine import results
from lib.report import catalogue, readme, render
from lib.report.section import MissingData
from lib.report.state import REPOSITORY, STATE_FILE, clock, read_state

def _demoted(markdown: str) -> str:
  """A table's `## heading` lines as bold lines, so that a README block adds no headings."""
  return '\n'.join(f"**{line.lstrip('#').strip()}**" if line.startswith('#') else line
                   for line in markdown.splitlines())


def _peak(run: dict) -> str:
  """', peak memory X GB' where reproduce measured it (an older reproduce.json did not)."""
  return f", peak memory {run['peak_rss_gb']:.1f} GB" if run.get('peak_rss_gb') is not None else ''


def caption(entry: catalogue.Entry, state: dict | None) -> str:
  """The line above a block's table: its command and, where reproduce ran it, its wall time."""
  run = (state or {}).get('entries', {}).get(entry.key)
  flags = run['flags'] if run else entry.flags
  text = f'`{catalogue.command(entry.experiment, flags)}`'
  if run and run['status'] == 'done':
    machine = state.get('machine', {})
    day = datetime.datetime.fromisoformat(run['finished']).date().isoformat()
    text += (f": {clock(run['wall_s'])} wall time{_peak(run)} in `launch.py --experiment=reproduce` "
             f"({machine.get('cpus', '?')} CPU cores, {day})")
  return text + '.'


def _first_docstring_line(experiment: str, experiments_dir: pathlib.Path) -> str:
  path = experiments_dir / f'{experiment}.py'
  doc = ast.get_docstring(ast.parse(path.read_text(encoding='utf-8'))) if path.is_file() else None
  return (doc or '').split('\n')[0]


def index_table(entries, state: dict, experiments_dir: pathlib.Path) -> str:
  """Every entry: its command, what its experiment shows, and its wall time in the reproduction."""
  lines = ['| key | command | what it shows | wall time | peak memory |', '|---|---|---|---:|---:|']
  total, done = 0.0, 0
  for entry in entries:
    run = state.get('entries', {}).get(entry.key)
    flags = run['flags'] if run else entry.flags
    if run and run['status'] == 'done':
      total, done = total + run['wall_s'], done + 1
      wall = clock(run['wall_s'])
    else:
      wall = run['status'] if run else 'not run'
    peak = f"{run['peak_rss_gb']:.1f} GB" if run and run.get('peak_rss_gb') is not None else '-'
    lines.append(f"| {entry.key} | `{catalogue.command(entry.experiment, flags)}` | "
                 f"{_first_docstring_line(entry.experiment, experiments_dir)} | {wall} | {peak} |")
  machine = state.get('machine', {})
  lines += ['', f"Wall times in `launch.py --experiment=reproduce` (an entry run again or resumed later "
            f"keeps its own date: see its block) on {machine.get('cpus', '?')} "
            f"CPU cores ({machine.get('system', '?')} {machine.get('machine', '')}, Python "
            f"{machine.get('python', '?')}): {clock(total)} for the {done} entries done."]
  return '\n'.join(lines) + '\n'


@dataclasses.dataclass
class Outcome:
  """What a report did: `lines` to print, and which README blocks and figures it wrote."""
  lines: list[str] = dataclasses.field(default_factory=list)
  blocks: list[str] = dataclasses.field(default_factory=list)
  figures: list[pathlib.Path] = dataclasses.field(default_factory=list)
  readme_changed: bool = False


def regenerate(root: os.PathLike, readme_path: os.PathLike, figures_dir: os.PathLike,
               entries=catalogue.ENTRIES,
               experiments_dir: os.PathLike = REPOSITORY / 'experiments') -> Outcome:
  """Fills README's blocks and redraws the committed figures from `root`'s work directories.

  Args:
    root: the reproduction's root (`ROOT/KEY` per entry, `ROOT/reproduce.json`).
    readme_path: the README to update (it may lack blocks; a missing file is left missing).
    figures_dir: where the committed figures are written (created if missing).
    entries: the catalogue.
    experiments_dir: where the experiments' modules are (their docstrings fill the index).

  Returns:
    The outcome; `lines` says what was left untouched and why, one line each.

  Raises:
    lib.report.readme.MarkerError: README's markers do not pair up (nothing is written).
  """
  root, readme_path, figures_dir = (pathlib.Path(p) for p in (root, readme_path, figures_dir))
  entries = list(catalogue.by_key(entries).values())
  state = read_state(root)
  outcome, contents, drawings = Outcome(), {}, []
  for entry in entries:
    workdir = root / entry.key
    if not workdir.is_dir():
      outcome.lines.append(f'missing: {entry.key} ({workdir} does not exist)')
      continue
    done = render.done_file(entry.experiment)
    if not (workdir / done).is_file():
      outcome.lines.append(f'incomplete: {entry.key} ({workdir} has no {done}: its run has not '
                           'finished; run reproduce again to resume it)')
      continue
    try:
      section = render.section(entry.experiment, workdir)
    except MissingData as missing:
      again = catalogue.command(entry.experiment, [f'--workdir={workdir}', *entry.flags])
      outcome.lines.append(f'incomplete: {entry.key} ({missing}; run `{again}` again to write '
                           'them: it resumes)')
      continue
    for table in entry.tables:
      if table not in section.tables:
        outcome.lines.append(f'no table: {entry.key} has no table {table!r} (it has '
                             f'{list(section.tables)})')
        continue
      contents[entry.marker(table)] = f'{caption(entry, state)}\n\n{_demoted(section.tables[table])}'
    for name, file in entry.figures.items():
      if name not in section.figures:
        outcome.lines.append(f'no figure: {entry.key} has no figure {name!r} (it has '
                             f'{list(section.figures)})')
        continue
      drawings.append((section.figures[name], figures_dir / file))
  if state is not None:
    contents[catalogue.INDEX] = index_table(entries, state, pathlib.Path(experiments_dir))
  else:
    outcome.lines.append(f'no index: {root / STATE_FILE} does not exist, so the {catalogue.INDEX} '
                         'block is left as it is')
  if readme_path.is_file() and contents:
    text = readme_path.read_text(encoding='utf-8')
    new, missing = readme.fill(text, contents)
    outcome.lines += [f'no marker: {readme_path} has no {readme.BEGIN.format(name)} ... '
                      f'{readme.END.format(name)}' for name in missing]
    outcome.blocks = [name for name in contents if name not in missing]
    if new != text:
      results.write_atomically(readme_path, new)
      outcome.readme_changed = True
  elif contents:
    outcome.lines.append(f'no README: {readme_path} does not exist; no block written')
  if drawings:
    figures_dir.mkdir(parents=True, exist_ok=True)
  for build, path in drawings:
    plotting.save(build(), path)
    outcome.figures.append(path)
  outcome.lines.append(f'{readme_path}: {len(outcome.blocks)} blocks regenerated'
                       f"{'' if outcome.readme_changed else ', no change'}; "
                       f'{len(outcome.figures)} figures drawn into {figures_dir}')
  return outcome
