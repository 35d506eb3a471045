"""`launch.py --experiment=report`: the results page and the committed figures, redrawn from the
reproduction's work directories.

The page (`experiments/results.md`, `lib.report.page`) is written whole: an index of every catalogue
entry, then one section per entry. An entry whose work directory `ROOT/KEY` is complete gets its
tables, under the command that produced them and its wall time from `ROOT/reproduce.json`, and its
committed figures are drawn again. An entry the report cannot publish keeps the text it had on the
page: its work directory is missing (reported), or it is refused (reported with the reason): not
finished, a grid with runs missing, or produced by flags other than the catalogue's.
"""

import ast
import dataclasses
import datetime
import os
import pathlib

from lib.analysis import plotting
from lib.engine import results
from lib.engine.progress import clock
from lib.report import admission, catalogue, page, render
from lib.report.section import MissingData
from lib.report.state import REPOSITORY, read_state


def _demoted(markdown: str) -> str:
  """A table's `## heading` lines as bold lines, so that a section adds no headings."""
  return '\n'.join(f"**{line.lstrip('#').strip()}**" if line.startswith('#') else line
                   for line in markdown.splitlines())


def _peak(run: dict) -> str:
  """', peak memory X GB' where reproduce measured it (an older reproduce.json did not)."""
  return f", peak memory {run['peak_rss_gb']:.1f} GB" if run.get('peak_rss_gb') is not None else ''


def caption(entry: catalogue.Entry, flags, state: dict | None) -> str:
  """The line above a section's tables: the command that produced them and, where reproduce ran it,
  its wall time."""
  run = (state or {}).get('entries', {}).get(entry.key)
  text = f'`{catalogue.command(entry.experiment, flags)}`'
  if run and run['status'] == 'done' and list(run['flags']) == list(flags):
    machine = state.get('machine', {})
    day = datetime.datetime.fromisoformat(run['finished']).date().isoformat()
    text += (f": {clock(run['wall_s'])} wall time{_peak(run)} in `launch.py --experiment=reproduce` "
             f"({machine.get('cpus', '?')} CPU cores, {day})")
  return text + '.'


def _first_docstring_line(experiment: str, experiments_dir: pathlib.Path) -> str:
  path = experiments_dir / f'{experiment}.py'
  doc = ast.get_docstring(ast.parse(path.read_text(encoding='utf-8'))) if path.is_file() else None
  return (doc or '').split('\n')[0]


def index_table(entries, state: dict | None, experiments_dir: pathlib.Path,
                previous: str = '') -> str:
  """Every entry: its command, what its experiment shows, its wall time and peak memory in the
  reproduction. Without `ROOT/reproduce.json` an entry keeps its row of the `previous` index."""
  kept = {line.split('|')[1].strip(): line for line in previous.splitlines()
          if line.startswith('| ') and line.count('|') > 2}
  lines = ['| key | command | what it shows | wall time | peak memory |', '|---|---|---|---:|---:|']
  total, done, earlier = 0.0, 0, 0
  for entry in entries:
    run = (state or {}).get('entries', {}).get(entry.key)
    if run is None and entry.key in kept:
      lines.append(kept[entry.key])
      earlier += kept[entry.key].split('|')[4].strip() != 'not run'
      continue
    flags = run['flags'] if run else entry.flags
    if run and run['status'] == 'done':
      total, done = total + run['wall_s'], done + 1
      wall = clock(run['wall_s'])
    else:
      wall = run['status'] if run else 'not run'
    peak = f"{run['peak_rss_gb']:.1f} GB" if run and run.get('peak_rss_gb') is not None else '-'
    lines.append(f"| {entry.key} | `{catalogue.command(entry.experiment, flags)}` | "
                 f"{_first_docstring_line(entry.experiment, experiments_dir)} | {wall} | {peak} |")
  if state is None:
    notes = [line for line in previous.splitlines() if line.strip() and not line.startswith('|')]
  else:
    machine = state.get('machine', {})
    notes = [f"Wall times in `launch.py --experiment=reproduce` on {machine.get('cpus', '?')} CPU "
             f"cores ({machine.get('system', '?')} {machine.get('machine', '')}, Python "
             f"{machine.get('python', '?')}): {clock(total)} for the {done} entries done. Peak memory "
             "is that of the entry's whole process tree, sampled from /proc (Linux; '-' elsewhere)."]
    if earlier:
      notes.append(f'The rows of the {earlier} entries this reproduction did not run keep the times '
                   'of the reproduction that last ran them.')
  return '\n'.join(lines + [''] + notes).strip('\n') + '\n'


@dataclasses.dataclass
class Outcome:
  """What a report did: `lines` to print; the entries published, kept and refused; figures drawn."""
  lines: list[str] = dataclasses.field(default_factory=list)
  published: list[str] = dataclasses.field(default_factory=list)
  refused: list[str] = dataclasses.field(default_factory=list)
  figures: list[pathlib.Path] = dataclasses.field(default_factory=list)
  page_changed: bool = False


def _figure_link(entry: catalogue.Entry, name: str, path: pathlib.Path, page_dir: pathlib.Path) -> str:
  return f'![{entry.key}: {name}]({pathlib.Path(os.path.relpath(path, page_dir)).as_posix()})'


def regenerate(root: os.PathLike, page_path: os.PathLike, figures_dir: os.PathLike,
               entries=catalogue.ENTRIES,
               experiments_dir: os.PathLike = REPOSITORY / 'experiments') -> Outcome:
  """Writes the results page whole and redraws the committed figures from `root`'s work directories.

  Args:
    root: the reproduction's root (`ROOT/KEY` per entry, `ROOT/reproduce.json`); it must exist.
    page_path: the results page (its previous blocks are kept where nothing replaces them).
    figures_dir: where the committed figures are written (created if missing).
    entries: the catalogue.
    experiments_dir: where the experiments' modules are (their docstrings fill the index).

  Returns:
    The outcome; `lines` says what was kept or refused and why, one line each.

  Raises:
    ValueError: `root` is not a directory.
    lib.report.page.MarkerError: the previous page's markers do not pair up (nothing is written).
  """
  root, page_path, figures_dir = (pathlib.Path(p) for p in (root, page_path, figures_dir))
  if not root.is_dir():
    raise ValueError(f'--root={root} is not a directory: nothing to report')
  entries = list(catalogue.by_key(entries).values())
  old_text = page_path.read_text(encoding='utf-8') if page_path.is_file() else ''
  previous = page.blocks(old_text)
  state = read_state(root)
  outcome, bodies, drawings = Outcome(), {}, []
  for entry in entries:
    workdir = root / entry.key
    flags = admission.expected_flags(entry, state)
    if not workdir.is_dir():
      outcome.lines.append(f'missing: {entry.key} ({workdir} does not exist); its section is kept')
      continue
    try:
      admission.check(entry, workdir, flags)
      section = render.section(entry.experiment, workdir, admission.grid_records(workdir))
    except (admission.Refused, MissingData) as refusal:
      outcome.refused.append(entry.key)
      outcome.lines.append(f'refused: {entry.key} ({refusal}); its section is kept')
      continue
    absent = [t for t in entry.tables if t not in section.tables]
    absent += [f for f in entry.figures if f not in section.figures]
    if absent:
      outcome.refused.append(entry.key)
      outcome.lines.append(f'refused: {entry.key} draws no {absent} (it has {list(section.tables)} '
                           f'and figures {list(section.figures)}); its section is kept')
      continue
    parts = [caption(entry, flags, state), f'**{section.title}**']
    for table in entry.tables:
      parts += ([] if table == entry.tables[0] else [f'**{table}**']) + [
          _demoted(section.tables[table]).strip('\n')]
    for name, file in entry.figures.items():
      drawings.append((section.figures[name], figures_dir / file))
      parts.append(_figure_link(entry, name, figures_dir / file, page_path.parent))
    bodies[entry.key] = '\n\n'.join(parts)
    outcome.published.append(entry.key)
  sections = {catalogue.INDEX: index_table(entries, state, pathlib.Path(experiments_dir),
                                           previous.get(catalogue.INDEX, ''))}
  for entry in entries:
    sections[entry.key] = bodies.get(entry.key) or previous.get(entry.key) or (
        f'Not run yet: `{catalogue.command(entry.experiment, entry.flags)}`.')
  dropped = sorted(set(previous) - set(sections))
  if dropped:
    outcome.lines.append(f'dropped: {dropped} (no longer in the catalogue)')
  text = page.compose(sections)
  if text != old_text:
    page_path.parent.mkdir(parents=True, exist_ok=True)
    results.write_atomically(page_path, text)
    outcome.page_changed = True
  if drawings:
    figures_dir.mkdir(parents=True, exist_ok=True)
  for build, path in drawings:
    plotting.save(build(), path)
    outcome.figures.append(path)
  outcome.lines.append(f'{page_path}: {len(outcome.published)} of {len(entries)} sections '
                       f"regenerated{'' if outcome.page_changed else ', no change'}; "
                       f'{len(outcome.figures)} figures drawn into {figures_dir}')
  return outcome
