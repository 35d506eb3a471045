"""The results page: blocks read back between their markers, the page composed whole."""

import pytest

from lib.report import page


def test_compose_then_blocks_round_trips_and_is_stable():
  text = page.compose({'a': 'first\n\n| t |\n', 'b/extra': '\nsecond'}, header='# Title\n')
  assert text == ('# Title\n\n## a\n\n<!-- report:a -->\n\nfirst\n\n| t |\n\n<!-- /report:a -->\n\n'
                  '## b/extra\n\n<!-- report:b/extra -->\n\nsecond\n\n<!-- /report:b/extra -->\n')
  assert page.blocks(text) == {'a': 'first\n\n| t |', 'b/extra': 'second'}
  assert page.compose(page.blocks(text), header='# Title\n') == text


@pytest.mark.parametrize('text, message', [
    ('<!-- report:a -->\n', 'never closed'),
    ('<!-- /report:a -->\n', 'has no'),
    ('<!-- report:a -->\n<!-- /report:a -->\n<!-- report:a -->\n<!-- /report:a -->\n', 'twice'),
])
def test_unpaired_markers_are_refused(text, message):
  with pytest.raises(page.MarkerError, match=message):
    page.blocks(text)


def test_a_marker_inside_a_line_is_not_a_marker():
  assert page.blocks('see `<!-- report:a -->` here\n') == {}

