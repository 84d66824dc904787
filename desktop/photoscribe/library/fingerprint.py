"""A fast content fingerprint that recognises a photo after a move or rename.

Hashing whole 30 MB raw files would cost more than captioning them, so the fingerprint is BLAKE2b over the
file's size, its first and its last MiB (whole files below 2 MiB). Any re-encode or metadata edit changes the
head of a photo file, so a changed photo gets a new fingerprint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def content_fingerprint(path: Path) -> str:
    """Hex fingerprint of ``path``'s content (raises ``OSError`` when the file cannot be read)."""
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        digest.update(size.to_bytes(8, "little"))
        handle.seek(0)
        digest.update(handle.read(CHUNK))
        if size > CHUNK:
            handle.seek(max(CHUNK, size - CHUNK))
            digest.update(handle.read(CHUNK))
    return digest.hexdigest()
