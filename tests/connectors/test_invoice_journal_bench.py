"""Issue 13's speed line: `python -m bench.invoices --journal` prints the invoiced-order path with the keys the
invoice and payment lines have, and a worker killed mid-journal leaves no invoice made twice or missing."""
import pytest

from bench import invoice_journal
from bench.master_sync import Fake

from .master_data_setup import tripletex_settings  # noqa: F401

# The keys `bench.invoices` prints on its invoice and payment lines (its `phase`).
INVOICE_LINE_KEYS = {"mode", "kind", "count", "seconds", "api_calls", "api_calls_per_item", "sql_queries",
                     "duplicates", "missing", "peak_rss_mb", "task_errors", "sql_queries_per_item", "workers_killed"}


@pytest.mark.django_db
def test_journal_bench_line_has_the_invoice_lines_keys_and_0_duplicates_after_a_worker_is_killed_mid_journal(
        fake_tripletex, tripletex_settings):  # noqa: F811
    line = invoice_journal.journal(Fake({"base_url": fake_tripletex.base_url}), 12, 3, 0)

    printed = invoice_journal.as_invoice_line(line)
    assert INVOICE_LINE_KEYS <= set(printed)
    assert printed["kind"] == "journal" and printed["count"] == 12
    assert printed["duplicates"] == 0 and printed["missing"] == 0 and printed["task_errors"] == 0
    assert line["orders"] == 12 and line["invoices_in_tripletex"] == 12 and line["run_status"] == "succeeded"
    # The kill came after Tripletex made invoice 6: without the look-up it would be made again.
    assert line["calls"]["POST /invoice"] == 12 and line["calls"]["POST /order"] == 12
    assert printed["sql_queries"] > 0
    assert invoice_journal.targets(line)["ok"]
