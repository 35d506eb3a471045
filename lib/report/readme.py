"""README blocks that the report regenerates: the text between `<!-- report:NAME -->` and
`<!-- /report:NAME -->`, each marker on a line of its own.

    <!-- report:permutation -->

    `python launch.py --experiment=permutation`: ...

    | arch | n | ... |

    <!-- /report:permutation -->

Everything outside the markers is left as it is, byte for byte; a block's text is replaced whole, so
regenerating from the same data gives the same README.
"""

import re

BEGIN, END = '<!-- report:{} -->', '<!-- /report:{} -->'
_MARKER = re.compile(r'^<!-- (/?)report:([\w./-]+) -->[ \t]*$', re.M)


class MarkerError(ValueError):
  """A README's markers do not pair up (a block opened twice, never closed, or closed unopened)."""


def blocks(text: str) -> dict[str, tuple[int, int]]:
  """`{name: (start, end)}`: the character span of each block's text, between its two markers.

  Raises:
    MarkerError: naming the marker that does not pair up.
  """
  spans, open_at = {}, {}
  for match in _MARKER.finditer(text):
    closing, name = match.group(1) == '/', match.group(2)
    if not closing:
      if name in open_at or name in spans:
        raise MarkerError(f'README: {BEGIN.format(name)} appears twice')
      open_at[name] = match.end() + 1  # the block starts on the next line
    elif name not in open_at:
      raise MarkerError(f'README: {END.format(name)} has no {BEGIN.format(name)} above it')
    else:
      spans[name] = (open_at.pop(name), match.start())
  if open_at:
    name = next(iter(open_at))
    raise MarkerError(f'README: {BEGIN.format(name)} is never closed by {END.format(name)}')
  return spans


def fill(text: str, contents: dict[str, str]) -> tuple[str, list[str]]:
  """Replaces the block of every name in `contents` that `text` has.

  Args:
    text: the README.
    contents: `{name: Markdown}`; each is written with one blank line before and after it.

  Returns:
    The new README, and the names of `contents` it has no block for.
  """
  spans = blocks(text)
  missing = [name for name in contents if name not in spans]
  out, at = [], 0
  for name, (start, end) in sorted(spans.items(), key=lambda item: item[1]):
    if name not in contents:
      continue
    out += [text[at:start], '\n', contents[name].strip('\n'), '\n\n']
    at = end
  out.append(text[at:])
  return ''.join(out), missing
