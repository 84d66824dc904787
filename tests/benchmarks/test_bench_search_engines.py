"""The benchmark of both full-text search engines runs end to end on 200 photos (figures: see its docstring)."""

from __future__ import annotations

import pytest

from benchmarks.bench_search_engines import QUERIES, main
from tests.postgres import PostgresServer


def test_the_benchmark_measures_both_engines_on_200_photos(
    postgres_server: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = dict(main(["--photos", "200"], postgres_server))
    hits = {}
    for engine in ("sqlite", "postgresql"):
        assert rows[f"{engine}: index_photos of 200 new photos"].endswith(" s")
        hits[engine] = [rows[f"{engine}: {q} (page of 100 / every hit / id array)"].split("(")[1] for q in QUERIES]
        counts = dict(zip(QUERIES, hits[engine], strict=True))
        assert counts["IMG_00042"] == "1 hits)" and counts["-dog"] != "0 hits)"
    assert hits["sqlite"] == hits["postgresql"]  # the same photos match
    agreement = rows["ranking agreement (50 photos x 30 queries)"]
    assert float(agreement.split("%")[0]) >= 97.0  # (81% with PostgreSQL's 'english' and ts_rank)
    assert "| postgresql: dog (page of 100" in capsys.readouterr().out
