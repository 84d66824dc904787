"""The search benchmark runs end to end on a small library (its figures are for 100,000 photos: see its docstring)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.bench_search import caption_for, main


def test_generated_captions_are_varied_sentences() -> None:
    rng = random.Random(1)
    captions = [caption_for(rng) for _ in range(1000)]
    assert len(set(captions)) > 900
    assert all(c.startswith(("a ", "an ")) and "  " not in c for c in captions)


@pytest.mark.slow
def test_the_benchmark_measures_every_figure_on_200_photos(
    text_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = main(["--photos", "200", "--text-model", str(text_model_dir), "--processes", "1", "--queries", "5"])
    assert figures["embed_s"] > 0 and figures["vector_memory_mb"] == pytest.approx(200 * 384 * 4 / 1e6, rel=0.5)
    assert figures["nonsense_hits"] == 0
    p50, p95 = figures["hybrid_ms"]  # type: ignore[misc]
    assert 0 < p50 <= p95
    table = capsys.readouterr().out
    assert "`photoscribe search --exact` process" in table and "| 200 |" in table
