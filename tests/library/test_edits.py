"""The photographer's edits: captions and keywords apart, keywords as written, replaced words out of search."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from photoscribe.ingest import register_files
from photoscribe.library import CaptionResult, Library, PhotoStatus, Registration
from photoscribe.library.models import Folder
from tests.library.common import caption_all, facts, make_photo

XMP = """<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:subject><rdf:Bag><rdf:li>Paris</rdf:li><rdf:li>John Smith</rdf:li><rdf:li>paris</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"""


def names(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(Path(h.photo.path).name for h in hits)


def test_editing_the_caption_keeps_the_keywords_typed_by_hand(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    caption_all(library, {"a.jpg": "a red barn"})
    library.set_user_keywords(photo, ["Vermont", "Grandma"])
    assert library.set_user_caption(photo, "Grandma's barn in the snow").keywords == ("Vermont", "Grandma")
    assert library.set_user_caption(photo, None).keywords == ("Vermont", "Grandma")  # "use the model's caption"


def test_keywords_are_kept_as_written_and_matched_ignoring_case(tmp_path: Path, library: Library) -> None:
    photo = tmp_path / "eiffel.jpg"
    Image.new("RGB", (32, 24), (9, 9, 9)).save(photo, xmp=XMP.encode())
    register_files(library, [photo])
    record = library.photo(photo)
    assert record.keywords == ("Paris", "John Smith") and record.file_keywords == ("Paris", "John Smith")
    assert names(library.search("paris")) == names(library.search("JOHN smith")) == ["eiffel.jpg"]
    record = library.set_user_keywords(photo, ["Texas", " James  Dean ", "texas", "Athens"])
    assert record.keywords == ("Texas", "James Dean", "Athens")
    assert names(library.search("james")) == ["eiffel.jpg"]


def test_a_caption_the_user_replaced_is_no_longer_searchable(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    caption_all(library, {"a.jpg": "a dog on the beach"})
    assert names(library.search("dog")) == ["a.jpg"]
    library.set_user_caption(photo, "our cat Felix")
    assert library.search("dog") == [] and library.search("beach") == []
    assert names(library.search("felix")) == ["a.jpg"]
    library.set_user_caption(photo, None)  # back to the model's caption: its words count again
    assert names(library.search("dog")) == ["a.jpg"]


def test_a_changed_file_drops_a_failed_one_off_prompt(tmp_path: Path, library: Library) -> None:
    photo = make_photo(tmp_path / "a.jpg")
    register_files(library, [photo])
    (claimed,) = library.claim_batch(1)
    library.requeue([claimed.id], prompt="a close-up of")
    (claimed,) = library.claim_batch(1)
    assert claimed.prompt == "a close-up of"
    library.save_results([], [(claimed.id, "the model failed")])
    make_photo(photo, (0, 0, 255))
    os.utime(photo, (1_000, 2_000_000_000))
    assert register_files(library, [photo])[Registration.CHANGED] == 1
    (again,) = library.claim_batch(1)
    assert again.prompt is None


def test_removing_a_folder_takes_its_waiting_photos_off_the_queue(tmp_path: Path, library: Library) -> None:
    kept, removed, nested = tmp_path / "kept", tmp_path / "oops", tmp_path / "oops" / "wanted"
    register_files(library, [make_photo(kept / "k.jpg")], library.add_folder(kept))
    register_files(library, [make_photo(removed / f"{i}.jpg") for i in range(3)], library.add_folder(removed))
    register_files(library, [make_photo(nested / "n.jpg")], library.add_folder(nested))
    library.register([facts(str(removed / "watched.jpg"))])  # found by the watcher: no folder id
    assert library.remove_folder(removed) == 4
    assert library.stats().cancelled == 4 and library.stats().pending == 2
    assert sorted(p.path.name for p in library.claim_batch(10)) == ["k.jpg", "n.jpg"]


def test_registering_into_a_folder_removed_meanwhile_is_not_an_error(tmp_path: Path, library: Library) -> None:
    folder_id = library.add_folder(tmp_path / "oops")
    library.remove_folder(tmp_path / "oops")
    with library.db.reading() as session:
        assert session.get(Folder, folder_id) is None and not list(session.scalars(select(Folder)))
    outcome = register_files(library, [make_photo(tmp_path / "oops" / "late.jpg")], folder_id)
    assert outcome == {Registration.NEW: 1}
    assert library.photo(tmp_path / "oops" / "late.jpg").status == PhotoStatus.CANCELLED  # not queued after removal


def test_the_model_caption_is_stored_once_per_claim(tmp_path: Path, library: Library) -> None:
    register_files(library, [make_photo(tmp_path / "a.jpg")])
    (claimed,) = library.claim_batch(1)
    library.save_results([CaptionResult(claimed.id, "a red wall", ["red", "wall"], "m")])
    assert library.save_results([CaptionResult(claimed.id, "a red wall", ["red", "wall"], "m")]) == []
    assert library.photo(tmp_path / "a.jpg").revision == 1


def test_text_with_nul_characters_and_overlong_keywords_is_stored_on_every_library(
    library: Library, tmp_path: Path
) -> None:
    """EXIF strings padded with NULs and a 200-character keyword: a SQLite file takes them as they are, PostgreSQL
    refuses both; the library keeps what every backend can store."""
    from photoscribe.library import FileDetails, PhotoFacts

    details = FileDetails(camera="Canon\x00\x00\x00", caption="a barn\x00", keywords=("farm\x00", "x" * 200))
    library.register([PhotoFacts(str(tmp_path / "barn.jpg"), 10, 1.0, "f" * 64, details)])
    photo = library.photo(tmp_path / "barn.jpg")
    assert (photo.camera, photo.file_caption, photo.file_keywords) == ("Canon", "a barn", ("farm", "x" * 128))
    edited = library.set_user_caption(tmp_path / "barn.jpg", "my\x00 barn")
    assert edited.caption == "my barn"
    assert library.set_user_keywords(tmp_path / "barn.jpg", ["red\x00", "y" * 300]).keywords == ("red", "y" * 128)
