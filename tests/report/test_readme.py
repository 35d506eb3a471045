"""README blocks: filled between their markers, everything else byte for byte the same."""

import pytest

from lib.report import readme

TEXT = ('# Title\n\nProse.\n\n<!-- report:a -->\nold a\n<!-- /report:a -->\n\nMiddle.\n'
        '<!-- report:b/extra -->\n<!-- /report:b/extra -->\nEnd, no newline')


def test_fill_replaces_only_the_named_blocks():
  new, missing = readme.fill(TEXT, {'b/extra': '| t |\n', 'c': 'x'})
  assert missing == ['c']
  assert new == TEXT.replace('<!-- report:b/extra -->\n', '<!-- report:b/extra -->\n\n| t |\n\n')
  assert 'old a' in new


def test_fill_is_idempotent():
  once, _ = readme.fill(TEXT, {'a': 'new a\n\n| 1 |', 'b/extra': 'B'})
  twice, _ = readme.fill(once, {'a': 'new a\n\n| 1 |', 'b/extra': 'B'})
  assert once == twice
  assert '<!-- report:a -->\n\nnew a\n\n| 1 |\n\n<!-- /report:a -->' in once
  assert once.endswith('End, no newline')


@pytest.mark.parametrize('text, message', [
    ('<!-- report:a -->\n', 'never closed'),
    ('<!-- /report:a -->\n', 'has no'),
    ('<!-- report:a -->\n<!-- /report:a -->\n<!-- report:a -->\n<!-- /report:a -->\n', 'twice'),
])
def test_unpaired_markers_are_refused(text, message):
  with pytest.raises(readme.MarkerError, match=message):
    readme.fill(text, {'a': 'x'})


def test_a_marker_inside_a_line_is_not_a_marker():
  text = 'see `<!-- report:a -->` here\n'
  assert readme.fill(text, {'a': 'x'}) == (text, ['a'])
