"""The studio benchmark runs end to end on 2,000 photos on a real PostgreSQL server (its figures are for
1,000,000: see its docstring)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from benchmarks.bench_studio import QUERIES, main, report
from benchmarks.studio_fill import RARE, caption_for, photo_path


def test_generated_captions_have_common_words_and_rare_ones() -> None:
    rng = random.Random(1)
    captions = [caption_for(rng) for _ in range(60_000)]
    words = Counter(word for caption in captions for word in set(caption.split()))
    assert len(set(captions)) > 20_000
    assert words["dog"] > 0.05 * len(captions) and words["beach"] > 0.15 * len(captions)  # Zipf: a few words common
    rare = [words[w] for w in RARE]
    assert min(rare) > 0 and max(rare) < 0.0005 * len(captions)  # ... and many rare
    assert len({photo_path(n).rsplit("/", 1)[0] for n in range(0, 1_000_000, 1000)}) > 100  # dated folders


@pytest.mark.slow
def test_the_benchmark_fills_searches_and_claims_on_2000_photos(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--url", postgres_url, "--photos", "2000", "--pending", "200", "--batch", "16"]
    arguments += ["--gpu-seconds", "0.01", "--repeat", "1", "--json"]
    figures = main([*arguments, "--workers", "1,2"])
    assert figures["fill"]["fill_s"] > 0
    for run, workers in zip(figures["claims"], (1, 2), strict=True):
        assert run["workers"] == workers and run["photos_per_s"] > 0
        assert run["done"] == run["captioned_once"] == 200  # every photo captioned, each once
        assert run["captioned_twice"] == run["claimed_twice"] == 0
    search = figures["search"]
    assert set(search) == {*QUERIES, "all"}
    assert min(search["common word"]["matches"]) > 50 > max(search["rare word"]["matches"])
    assert all(0 < p50 <= p95 for p50, p95 in (search["all"]["search"], search["all"]["photo_ids"]))

    again = main([*arguments, "--workers", "2"])  # the same database: no fill, the block queued again
    assert "fill" not in again and again["claims"][0]["done"] == again["claims"][0]["captioned_once"] == 200

    capsys.readouterr()
    report(figures)
    table = capsys.readouterr().out
    assert "| fill 2,000 photos (s)" in table and "| 2 | " in table and "| phrase |" in table
