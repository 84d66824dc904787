"""Helpers shared by the library tests: small real photos, captions stored as a worker would, plain facts."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image

from photoscribe.library import CaptionResult, Library, PhotoFacts

DATA = Path(__file__).resolve().parents[1] / "data"


def make_photo(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 24), colour).save(path, format="JPEG")
    return path


def caption_all(library: Library, captions: dict[str, str]) -> None:
    """Store captions by file name for every pending photo, as a worker would."""
    claimed = library.claim_batch(100)
    library.save_results(
        [CaptionResult(p.id, captions[p.path.name], captions[p.path.name].split()[-2:], "test-model") for p in claimed]
    )


def fake_fingerprint(path: object) -> str:
    """A stand-in content fingerprint of a file, unique to its path (the length of a real one: 64 hex digits)."""
    return hashlib.sha256(str(path).encode("utf-8", "surrogateescape")).hexdigest()


def facts(path: str, fingerprint: str | None = None, size: int = 1) -> PhotoFacts:
    """What registration would have read from a file at ``path`` (rows without files, for queue tests)."""
    return PhotoFacts(path=path, size=size, mtime=0.0, fingerprint=fingerprint or fake_fingerprint(path))
