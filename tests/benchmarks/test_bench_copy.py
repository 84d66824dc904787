"""The copy benchmark runs end to end on a small library (its figures are for 100,000 photos: see its docstring)."""

from __future__ import annotations

import pytest

from benchmarks.bench_copy import main
from tests.postgres import PostgresServer


@pytest.mark.slow
def test_the_benchmark_copies_200_photos_both_ways(
    postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = main(["--photos", "200", "--postgres", postgres_server.admin_url])
    assert figures["photos"] == 200 and figures["keywords"] > 200
    assert figures["sqlite_to_postgresql_s"] > 0 and figures["postgresql_to_sqlite_peak_rss_mb"] > 0
    assert "| sqlite to postgresql photos per s |" in capsys.readouterr().out
