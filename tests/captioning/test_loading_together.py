"""The caption model and the text model loaded at the same time, on two threads, as the app does when a folder's
photos carry their own captions (the text model is needed before the first caption is made)."""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from photoscribe.captioning import Captioner, choose_hardware
from photoscribe.captioning.text_embedder import TextEmbedder


def test_two_models_loaded_at_once_each_get_their_own_precision(tiny_model_dir: Path, text_model_dir: Path) -> None:
    # transformers sets torch's process-wide default dtype while it builds a model: two loads interleaved made
    # some MiniLM layers float32 in a bf16 model ("mat1 and mat2 must have the same dtype") and left the
    # default dtype changed for the rest of the process
    for _attempt in range(4):
        start = threading.Barrier(2)
        loaded: dict[str, object] = {}

        def caption_model() -> None:
            start.wait()
            for _ in range(3):
                loaded["blip"] = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))

        thread = threading.Thread(target=caption_model)
        thread.start()
        start.wait()
        embedder = TextEmbedder.load(str(text_model_dir), allow_download=False, precision="bf16")
        thread.join()
        dtypes = {p.dtype for p in embedder._model.parameters()}
        assert dtypes == {torch.bfloat16}
        assert torch.get_default_dtype() == torch.float32
        assert embedder.encode(["a dog on the beach"]).shape == (1, 384)
