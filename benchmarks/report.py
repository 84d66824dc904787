"""What the benchmarks share: their figures printed as a markdown table, ready for the README."""

from __future__ import annotations

from collections.abc import Sequence


def print_rows(rows: Sequence[tuple[str, str]]) -> None:
    """``| measure | value |`` rows, the names padded to one width."""
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | value |\n|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
