"""Vectors on a real SQLite file: image vectors from save_results, similar photos, vectors in memory kept current."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from photoscribe.ingest import register_files
from photoscribe.library import CaptionResult, Library, MatchKind
from tests.library.common import make_photo
from tests.library.meaning import add_captioned


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


YELLOW, GOLD, BLUE, NAVY = unit(1, 1, 0, 0), unit(1, 0.8, 0.1, 0), unit(0, 0, 1, 0), unit(0, 0.1, 1, 0.1)


def test_similar_photos_are_nearest_by_image_vector_of_the_same_model(library: Library) -> None:
    yellow, navy, gold, blue = add_captioned(library, ["yellow", "navy", "gold", "blue"], [YELLOW, NAVY, GOLD, BLUE])
    hits = library.similar(yellow)
    assert [h.photo.id for h in hits] == [gold, navy, blue]
    assert hits[0].match is MatchKind.MEANING and abs(hits[0].score - float(YELLOW @ GOLD)) < 1e-6
    assert yellow not in [h.photo.id for h in hits]
    assert [h.photo.id for h in library.similar(blue, limit=1)] == [navy]
    (other,) = add_captioned(library, ["other model"], [YELLOW])  # same vector, another captioning model:
    claimed = library.requeue([other]) and library.claim_batch(1)
    library.save_results([CaptionResult(claimed[0].id, "x", [], "another-blip", image_vector=YELLOW)])
    assert other not in [h.photo.id for h in library.similar(yellow)]  # vectors of different models never mix


def test_a_photo_without_an_image_vector_has_no_similar_photos(library: Library) -> None:
    (plain,) = add_captioned(library, ["captioned before vectors"])
    assert library.similar(plain) == [] and not library.has_image_vector(plain)
    (with_vector,) = add_captioned(library, ["now"], [YELLOW])
    assert library.has_image_vector(with_vector) and library.similar(with_vector) == []  # nothing to compare to


def test_a_changed_file_loses_its_image_vector_and_missing_photos_are_not_similar(
    tmp_path: Path, library: Library
) -> None:
    photos = [make_photo(tmp_path / f"{i}.jpg", (40 * i, 0, 0)) for i in range(3)]
    register_files(library, photos)
    claimed = sorted(library.claim_batch(3), key=lambda c: c.id)
    vectors = [YELLOW, GOLD, NAVY]
    library.save_results([CaptionResult(c.id, "x", [], "blip", image_vector=v) for c, v in zip(claimed, vectors)])
    first, gold, navy = (c.id for c in claimed)
    assert [h.photo.id for h in library.similar(first)] == [gold, navy]
    library.mark_missing([photos[1]])
    assert [h.photo.id for h in library.similar(first)] == [navy]
    make_photo(photos[2], (0, 0, 255))
    os.utime(photos[2], (1_000, 2_000_000_000))
    register_files(library, [photos[2]])
    assert not library.has_image_vector(navy) and library.similar(first) == []


def test_vectors_in_memory_follow_writes_deletions_and_other_processes(tmp_path: Path, library: Library) -> None:
    folder = tmp_path / "a"
    photos = [make_photo(folder / f"{i}.jpg") for i in range(3)]
    register_files(library, photos, library.add_folder(folder))
    claimed = sorted(library.claim_batch(3), key=lambda c: c.id)
    library.save_results([CaptionResult(c.id, f"photo {c.id}", [], "blip") for c in claimed])
    ids = [c.id for c in claimed]
    library.store_text_vectors("m", [(i, f"photo {i}", v) for i, v in zip(ids, [YELLOW, GOLD, BLUE])])
    query = unit(1, 0.9, 0.05, 0)
    assert [h.photo.id for h in library.search("nothing", query_vector=query, model_ref="m")] == ids[:2]
    with Library(library.path) as other:  # another process re-embeds one photo
        other.store_text_vectors("m", [(ids[2], f"photo {ids[2]}", YELLOW)])
    assert [h.photo.id for h in library.search("nothing", query_vector=query, model_ref="m")] == [
        ids[0],
        ids[2],
        ids[1],
    ]
    assert library.vector_memory() > 0
    with Library(library.path) as other:
        other.remove_folder(folder, forget_photos=True)
    assert library.search("nothing", query_vector=query, model_ref="m") == []
    add_captioned(library, ["a reused id"])  # SQLite may give a deleted photo's id to a new one
    assert library.search("nothing", query_vector=query, model_ref="m") == []


def test_vectors_in_memory_take_four_bytes_a_dimension(library: Library) -> None:
    """384 float32 per vector: 100,000 vectors take 154 MB (plus 0.9 MB of ids and flags)."""
    (photo,) = add_captioned(library, ["one"])
    library.store_text_vectors("m", [(photo, "one", np.ones(384, dtype=np.float32))])
    library.search("x", query_vector=np.ones(384, dtype=np.float32), model_ref="m")
    assert library.vector_memory() == 384 * 4 + 8 + 1


def test_embedding_goes_through_the_photos_once_by_id_and_counts_only_when_there_is_work(
    library: Library, minilm: object
) -> None:
    from photoscribe import meaning
    from tests.library.meaning import MODEL, encode

    class Embedder:  # the real MiniLM, as meaning.embed_pending sees a text model
        ref, dim = MODEL, 384

        def encode(self, texts: list[str]) -> np.ndarray:
            return encode(minilm, texts)

    ids = add_captioned(library, [f"a {c} door" for c in ("red", "green", "blue", "white", "black")])
    assert [pid for pid, _ in library.text_vector_todo(MODEL, 10, after=ids[2])] == ids[3:]  # from there on
    progress: list[tuple[int, int]] = []
    assert meaning.embed_pending(library, Embedder(), on_progress=lambda *p: progress.append(p), batch=2) == 5
    assert progress == [(0, 5), (2, 5), (4, 5), (5, 5)]  # before the first batch, then after each
    assert library.text_vector_progress(MODEL) == (5, 5)
    progress.clear()
    assert meaning.embed_pending(library, Embedder(), on_progress=lambda *p: progress.append(p), batch=2) == 0
    assert progress == []  # nothing to do: nothing counted, nothing said
