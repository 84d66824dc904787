"""The pooled BLIP vision vector kept at captioning time: from the same encoder pass, with the same captions."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from photoscribe.captioning import Captioner, CaptionSettings, choose_hardware
from tests.tiny_blip import COLOURS, colour_image

SETTINGS = [CaptionSettings(), CaptionSettings(num_beams=3), CaptionSettings(prompt="a photography of")]


def jittered(count: int, seed: int, jitter: int = 70) -> tuple[list[str], list]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    colours = [list(COLOURS)[i % len(COLOURS)] for i in range(count)]
    return colours, [colour_image(c, jitter=jitter, rng=rng) for c in colours]


@pytest.mark.parametrize("precision", ["fp32", "bf16", "mixed"])
def test_captions_with_vectors_are_byte_identical_to_captions_alone(tiny_model_dir: Path, precision: str) -> None:
    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    _, images = jittered(10, seed=len(precision))
    for settings in SETTINGS:
        alone = captioner.caption(images, settings)
        with_vectors, vectors = captioner.caption_with_vectors(images, settings)
        assert [c.encode() for c in with_vectors] == [c.encode() for c in alone]
        assert vectors is not None and vectors.shape == (len(images), 32) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_the_vector_is_the_pooled_output_of_the_one_encoder_pass_inside_generate(tiny_captioner: Captioner) -> None:
    import torch

    _, images = jittered(6, seed=1)
    passes: list[int] = []
    counter = tiny_captioner.model.vision_model.register_forward_hook(
        lambda m, i, o: passes.append(len(o.pooler_output))
    )
    try:
        _, vectors = tiny_captioner.caption_with_vectors(images, CaptionSettings(num_beams=3))
    finally:
        counter.remove()
    assert passes == [len(images)]  # one vision pass for the whole batch: no extra model run for the vectors
    assert not tiny_captioner.model.vision_model._forward_hooks  # and nothing left behind on the model
    pixels = tiny_captioner.processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        pooled = tiny_captioner.model.vision_model(pixel_values=pixels).pooler_output
    expected = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_a_batch_gives_each_photo_the_vector_it_gets_alone(tiny_captioner: Captioner) -> None:
    _, images = jittered(7, seed=2)
    _, batch = tiny_captioner.caption_with_vectors(images)
    alone = np.concatenate([tiny_captioner.caption_with_vectors([image])[1] for image in images])
    np.testing.assert_allclose(batch, alone, atol=1e-5)


def test_the_nearest_other_photo_to_each_colour_has_that_colour(tiny_captioner: Captioner) -> None:
    colours, images = jittered(24, seed=3, jitter=40)
    _, vectors = tiny_captioner.caption_with_vectors(images)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -2.0)
    nearest = [colours[int(j)] for j in similarity.argmax(axis=1)]
    assert nearest == colours


def test_an_empty_batch_has_no_vectors_and_needs_no_model_call(tiny_captioner: Captioner) -> None:
    captions, vectors = tiny_captioner.caption_with_vectors([])
    assert captions == [] and vectors is not None and len(vectors) == 0


def test_the_worker_stores_each_photos_vector_with_its_caption(tiny_captioner: Captioner, tmp_path: Path) -> None:
    from photoscribe.ingest import register_files
    from photoscribe.library import Library
    from photoscribe.worker import CaptionWorker
    from tests.helpers import save_colour

    colours = [list(COLOURS)[i % len(COLOURS)] for i in range(12)]
    paths = [save_colour(tmp_path / "shoot" / f"IMG_{i:02d}.jpg", c) for i, c in enumerate(colours)]
    colour_of = {str(p): c for p, c in zip(paths, colours)}
    with Library(tmp_path / "library.sqlite3") as library:
        register_files(library, paths)
        summary = CaptionWorker(library, tiny_captioner, batch_size=5).run()
        assert summary.captioned == 12
        for path in paths:
            record = library.photo(path)
            nearest = library.similar(record.id, 3)
            assert [colour_of[h.photo.path] for h in nearest[:2]] == [colour_of[str(path)]] * 2
            assert record.id not in {h.photo.id for h in nearest}
