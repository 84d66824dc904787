"""Registration reads files before the library's write transaction: the write lock is held only to write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.ingest import iter_photos, register_files
from photoscribe.library import CaptionResult, Library, PhotoStatus, Registration
from photoscribe.library.fingerprint import content_fingerprint
from photoscribe.metadata.exiftool import NAMESPACE_URI
from tests.library.common import make_photo

WRITE_NOW = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('probe', 'another process')")
    conn.execute("COMMIT")
    print("wrote")
except sqlite3.OperationalError as exc:
    print(exc)
"""

OWN_XMP = f"""<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoscribe="{NAMESPACE_URI}">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a dog on a beach</rdf:li></rdf:Alt></dc:description>
<dc:subject><rdf:Bag><rdf:li>dog</rdf:li><rdf:li>beach</rdf:li><rdf:li>Brighton</rdf:li></rdf:Bag></dc:subject>
<photoscribe:Caption>a dog on a beach</photoscribe:Caption>
<photoscribe:Keywords><rdf:Bag><rdf:li>dog</rdf:li><rdf:li>beach</rdf:li></rdf:Bag></photoscribe:Keywords>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"""


def test_another_process_can_write_while_200_files_are_being_read(
    tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow reads injected: at the 1st, 100th and 200th file read, another process tries to write at once (no
    busy wait). The old registration read all 200 files inside BEGIN IMMEDIATE, so every try failed."""
    photos = [make_photo(tmp_path / "photos" / f"{i:03d}.jpg", (i, 30, 30)) for i in range(200)]
    tries: list[str] = []
    real = content_fingerprint

    def read_and_meanwhile_write(path: Path) -> str:
        if len(tries) < 3 and path.name in ("000.jpg", "099.jpg", "199.jpg"):
            probe = subprocess.run([sys.executable, "-c", WRITE_NOW, str(library.path)], capture_output=True, text=True)
            tries.append(probe.stdout.strip() or probe.stderr)
        return real(path)

    monkeypatch.setattr("photoscribe.ingest.registration.content_fingerprint", read_and_meanwhile_write)
    assert register_files(library, photos)[Registration.NEW] == 200
    assert tries == ["wrote"] * 3


def test_unchanged_files_are_neither_read_nor_written(
    tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = [make_photo(tmp_path / f"{i}.jpg") for i in range(5)]
    register_files(library, photos)
    read: list[Path] = []
    monkeypatch.setattr("photoscribe.ingest.registration.content_fingerprint", read.append)
    monkeypatch.setattr(library, "register", lambda *a: pytest.fail("nothing to write"))
    assert register_files(library, photos) == {Registration.UNCHANGED: 5} and read == []


def test_photoscribes_own_metadata_write_is_not_a_change(tmp_path: Path, library: Library) -> None:
    """A kill between the writer's os.replace and note_own_write: the next scan must not caption it again."""
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    (claimed,) = library.claim_batch(1)
    library.save_results([CaptionResult(claimed.id, "a dog on a beach", ["dog", "beach"], "m")])
    temporary = tmp_path / ".a.jpg.photoscribe-tmp"
    Image.open(photo).save(temporary, format="JPEG", xmp=OWN_XMP.encode())
    info = temporary.stat()
    library.expect_own_write(photo, info.st_size, info.st_mtime, content_fingerprint(temporary))
    os.replace(temporary, photo)
    assert register_files(library, [photo]) == {Registration.UNCHANGED: 1}
    record = library.photo(photo)
    assert (record.status, record.revision, record.file_caption) == (PhotoStatus.DONE, 1, None)
    library.note_own_write(tmp_path / "moved-away.jpg")  # never raises for a file that is gone


def test_what_photoscribe_wrote_into_a_file_is_not_taken_as_the_photographers(tmp_path: Path, library: Library) -> None:
    """A new library (or another machine) reading a photo PhotoScribe wrote to before."""
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (32, 24), (9, 9, 9)).save(photo, xmp=OWN_XMP.encode())
    register_files(library, [photo])
    record = library.photo(photo)
    assert (record.file_caption, record.file_keywords, record.status) == (None, ("Brighton",), PhotoStatus.PENDING)


@pytest.mark.timeout(60)
def test_a_pipe_named_like_a_photo_does_not_block_registration(tmp_path: Path, library: Library) -> None:
    make_photo(tmp_path / "photos" / "a.jpg")
    os.mkfifo(tmp_path / "photos" / "b.jpg")  # opening it for reading would wait for a writer forever
    make_photo(tmp_path / "photos" / "c.jpg")
    outcome = register_files(library, list(iter_photos(tmp_path / "photos")))
    assert outcome == {Registration.NEW: 2, Registration.VANISHED: 1}


class RecordingLibrary(Library):
    """A real library that notes which files each registration transaction got."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.transactions: list[list[str]] = []

    def register(self, facts, folder_id=None):  # type: ignore[no-untyped-def]
        self.transactions.append([Path(f.path).name for f in facts])
        return super().register(facts, folder_id)


def test_a_raw_and_its_jpeg_are_registered_in_one_transaction_whatever_the_chunk_size(
    tmp_path: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks never split IMG_1.JPG from IMG_1.RAF: the RAW is paired at once, never queued and decoded."""
    import photoscribe.ingest.registration as registration

    folder = tmp_path / "card"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (32, 24), (200, 30 * i, 0)).save(folder / f"IMG_{i}.JPG")
        (folder / f"IMG_{i}.RAF").write_bytes((samples / "raw" / "FujiFilm.raf").read_bytes())
    library = RecordingLibrary(tmp_path / "lib.sqlite3")
    try:
        for size in (1, 2, 3):
            monkeypatch.setattr(registration, "REGISTER_CHUNK", size)
            library.transactions.clear()
            for path in folder.iterdir():
                os.utime(path, (1_000, 1_000_000 + size))  # changed: read and written again
            register_files(library, iter_photos(folder))
            for i in range(3):
                together = [t for t in library.transactions if f"IMG_{i}.JPG" in t]
                assert len(together) == 1 and f"IMG_{i}.RAF" in together[0], (size, library.transactions)
            assert sorted(Path(p.path).name for p in library.photos()) == [f"IMG_{i}.JPG" for i in range(3)]
            assert library.claim_batch(10) and not library.claim_batch(10)
            library.release(p.id for p in library.photos())
    finally:
        library.close()
