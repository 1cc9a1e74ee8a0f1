"""The benchmark's visits-per-statement column (bench/app_throughput/batches.py)."""
from bench.app_throughput.batches import Batches, parse

SCRAPE = """# HELP app_visit_batch_size Visits counted per statement sent to the database.
# TYPE app_visit_batch_size histogram
app_visit_batch_size_bucket{le="1.0"} 3.0
app_visit_batch_size_bucket{le="2.0"} 5.0
app_visit_batch_size_bucket{le="+Inf"} 5.0
app_visit_batch_size_count 5.0
app_visit_batch_size_sum 7.0
# HELP app_visits_total Visits counted (one per successful page view).
# TYPE app_visits_total counter
app_visits_total 7.0
"""


def test_the_histograms_totals_are_read() -> None:
    assert parse(SCRAPE) == Batches(visits=7, statements=5)


def test_a_run_is_the_difference_of_two_readings() -> None:
    run = Batches(visits=107, statements=45) - Batches(visits=7, statements=5)
    assert run.visits_per_statement() == 2.5


def test_no_statement_no_figure_and_no_histogram_no_reading() -> None:
    assert (Batches(7, 5) - Batches(7, 5)).visits_per_statement() is None
    assert parse("# TYPE app_visits_total counter\napp_visits_total 7.0\n") is None
