"""The text model for search by meaning: the real all-MiniLM-L6-v2 from the test package, and its failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoscribe.captioning.text_embedder import TextEmbedder, TextModelUnavailable


@pytest.fixture(scope="module")
def embedder(text_model_dir: Path) -> TextEmbedder:
    return TextEmbedder.load(str(text_model_dir))


def test_vectors_are_normalised_float32_rows_and_close_for_close_meanings(embedder: TextEmbedder) -> None:
    texts = [
        "puppy",
        "a dog running on the beach",
        "a bowl of fruit on a kitchen table",
        "kitten on a couch",
        "a cat on a sofa",
    ]
    vectors = embedder.encode(texts)
    assert (vectors.shape, vectors.dtype, embedder.dim) == ((5, 384), np.float32, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = vectors @ vectors.T
    assert cosine[0, 1] > cosine[0, 2] + 0.1 and cosine[3, 4] > 0.6
    assert np.allclose(embedder.encode(texts[:1])[0], vectors[0], atol=1e-5)  # batching changes nothing
    assert embedder.encode([]).shape == (0, 384)


def test_the_ref_is_kept_as_configured_and_a_folder_by_its_absolute_path(
    embedder: TextEmbedder, text_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert embedder.ref == str(text_model_dir)
    monkeypatch.chdir(text_model_dir.parent)  # the same folder named relatively: the same model, nothing re-embedded
    assert TextEmbedder.load(text_model_dir.name, precision="fp32").ref == str(text_model_dir)


def test_a_model_that_is_not_downloaded_is_unavailable_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(TextModelUnavailable, match="has not been downloaded yet") as refused:
        TextEmbedder.load("sentence-transformers/all-MiniLM-L6-v2", allow_download=False)
    assert "--text-model" in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(TextModelUnavailable, match="offline"):  # HF_HUB_OFFLINE=1 in the tests
        TextEmbedder.load("sentence-transformers/all-MiniLM-L6-v2")


def test_a_folder_that_is_not_a_text_model_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(TextModelUnavailable, match="does not exist"):
        TextEmbedder.load(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(TextModelUnavailable, match="does not hold a sentence-transformers"):
        TextEmbedder.load(str(tmp_path / "empty"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(TextModelUnavailable, match="could not be loaded"):
        TextEmbedder.load(str(broken))


def test_auto_precision_is_bf16_exactly_where_the_cpu_computes_it_and_agrees_with_fp32(
    embedder: TextEmbedder, text_model_dir: Path
) -> None:
    import torch

    from photoscribe.captioning.hardware import cpu_has_native_bf16
    from photoscribe.captioning.text_embedder import text_precision

    wanted = "bf16" if cpu_has_native_bf16() else "fp32"
    weights = {p.dtype for p in embedder._model.parameters()}
    assert (embedder.precision, weights) == (wanted, {torch.bfloat16 if wanted == "bf16" else torch.float32})
    assert text_precision("cuda") == "fp32" and text_precision("cpu", "fp32") == "fp32"
    with pytest.raises(TextModelUnavailable, match="unknown text model precision"):
        text_precision("cpu", "int4")
    texts = ["puppy", "a dog running on the beach", "kitten on a couch", "a cat sleeping on a sofa", "xqzv blorf"]
    full = TextEmbedder.load(str(text_model_dir), precision="fp32")
    half = TextEmbedder.load(str(text_model_dir), precision="bf16")
    assert {p.dtype for p in half._model.parameters()} == {torch.bfloat16}
    ours, theirs = half.encode(texts), full.encode(texts)
    assert ours.dtype == np.float32 and np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float((ours * theirs).sum(axis=1).min()) > 0.999  # the same vectors, to search's resolution
    assert np.abs(ours @ ours.T - theirs @ theirs.T).max() < 0.01  # and the same similarities between texts


def test_a_query_is_encoded_by_one_thread_and_other_threads_keep_their_count(embedder: TextEmbedder) -> None:
    import threading

    import torch

    before = torch.get_num_threads()
    seen: dict[str, object] = {}

    def query() -> None:
        seen["vector"] = embedder.encode_query("a puppy on the beach")
        seen["threads"] = torch.get_num_threads()

    def fresh() -> None:
        seen["fresh"] = torch.get_num_threads()

    for work in (query, fresh):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert seen["threads"] == 1
    assert seen["fresh"] == before == torch.get_num_threads()  # neither this thread nor a new one changed
    vector = seen["vector"]
    assert isinstance(vector, np.ndarray) and vector.dtype == np.float32 and vector.shape == (embedder.dim,)
    assert float(vector @ embedder.encode(["a puppy on the beach"])[0]) > 0.9999
