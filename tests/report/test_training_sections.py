"""The sample-efficiency tables: what a cell says about its runs."""

from lib.report import training_sections


def test_by_n_marks_a_group_with_a_diverged_run():
  """Issue 20: a group with one diverged run of two showed the survivor's accuracy unmarked."""
  row = {'arch': 'cnn', 'runs': 2, 'diverged': 1, 'unconverged': 0, 'test_accuracy_mean': 0.9,
         'test_accuracy_std': 0.0}
  table = training_sections.by_n_table([dict(row, n=10), dict(row, n=40, diverged=0)])
  assert '| cnn | 90.0 +- 0.0 (1 of 2 diverged) | 90.0 +- 0.0 |' in table
  assert 'left out of the mean' in table
