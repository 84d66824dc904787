"""Registering many new files at once: bulk inserts for plain new files, the ORM path for the rest, same rules."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from photoscribe.library import FileDetails, Library, PhotoFacts, PhotoStatus, Registration
from tests.library.common import facts


def _statements(library: Library) -> list[str]:
    seen: list[str] = []
    event.listen(library.db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_chunk_of_new_files_is_written_in_a_few_statements(library: Library, tmp_path: Path) -> None:
    folder_id = library.add_folder(tmp_path)
    chunk = [facts(str(tmp_path / f"day{i % 3}" / f"IMG_{i:04d}.jpg")) for i in range(600)]
    statements = _statements(library)
    assert library.register(chunk, folder_id) == {Registration.NEW: 600}
    assert len(statements) < 40, f"{len(statements)} statements for 600 new photos"
    assert library.stats().pending == 600
    assert [Path(r.photo.path).name for r in library.search("IMG_0421")] == ["IMG_0421.jpg"]  # names are searched
    assert library.folder_counts() == {tmp_path: 600}


def test_own_words_moves_and_plain_new_files_in_one_chunk(library: Library, tmp_path: Path) -> None:
    folder_id = library.add_folder(tmp_path)
    library.register([facts(str(tmp_path / "old" / "moved.jpg"), fingerprint="same-content")], folder_id)
    library.mark_missing([tmp_path / "old" / "moved.jpg"])
    library.set_user_caption(tmp_path / "old" / "moved.jpg", "my words")
    own = FileDetails(640, 480, None, "Camera", "a caption in the file", ("harbour",))
    chunk = [
        facts(str(tmp_path / "new" / "moved.jpg"), fingerprint="same-content"),
        PhotoFacts(str(tmp_path / "new" / "captioned.jpg"), 10, 1.0, "fp-own", own),
        facts(str(tmp_path / "new" / "plain.jpg")),
        facts(str(tmp_path / "new" / "plain.jpg")),  # the same file twice
        facts(str(tmp_path / "new" / "IMG_1.CR2")),
        facts(str(tmp_path / "new" / "IMG_1.JPG")),
    ]
    outcomes = library.register(chunk, folder_id)
    assert outcomes == {Registration.MOVED: 1, Registration.NEW: 4, Registration.UNCHANGED: 1}
    assert library.photo(tmp_path / "new" / "moved.jpg").user_caption == "my words"  # the move kept its caption
    captioned = library.photo(tmp_path / "new" / "captioned.jpg")
    assert (captioned.file_caption, captioned.keywords, captioned.width) == ("a caption in the file", ("harbour",), 640)
    assert library.photo(tmp_path / "new" / "IMG_1.CR2").status == PhotoStatus.PAIRED  # paired in the same chunk
    assert {Path(r.photo.path).name for r in library.search("harbour")} == {"captioned.jpg"}
    assert library.stats().pending == 3  # plain, captioned and the pair's JPEG; the move keeps its state


def test_new_files_of_a_folder_removed_meanwhile_are_not_queued(library: Library, tmp_path: Path) -> None:
    folder_id = library.add_folder(tmp_path)
    library.remove_folder(tmp_path)
    assert library.register([facts(str(tmp_path / "late.jpg"))], folder_id) == {Registration.NEW: 1}
    assert library.photo(tmp_path / "late.jpg").status == PhotoStatus.CANCELLED
    assert library.stats().pending == 0
