"""Linear layers packed for oneDNN (CPU, bf16): the text decoder's give transformers' numbers bit for bit, the vision
encoder's first MLP layer with its GELU fused stays within a bf16 step of it; captions unchanged."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from photoscribe.captioning import Captioner, choose_hardware
from photoscribe.captioning.packed_linear import PackedLinear, _ops, fuse_vision_gelu, pack_text_decoder
from tests.tiny_blip import COLOURS, colour_image

pytestmark = pytest.mark.skipif(_ops() is None, reason="this PyTorch has no oneDNN linear operations")


def _plain(tiny_model_dir: Path, precision: str = "bf16") -> Captioner:
    return Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision), packed_layers=False)


def _photos() -> list:  # type: ignore[type-arg]
    rng = random.Random(8)
    return [colour_image(rng.choice(list(COLOURS)), jitter=70, rng=rng) for _ in range(12)]


def test_the_load_packs_the_decoder_and_fuses_the_vision_gelu_in_bf16_only(tiny_model_dir: Path) -> None:
    bf16 = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "bf16")).model
    decoder = [m for m in bf16.text_decoder.bert.modules() if isinstance(m, PackedLinear)]
    plain = _plain(tiny_model_dir).model.text_decoder.bert
    assert len(decoder) == sum(isinstance(m, torch.nn.Linear) for m in plain.modules()) > 0
    assert all(layer.mlp.fc1.activation == "gelu" for layer in bf16.vision_model.encoder.layers)
    fp32 = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32")).model
    assert not any(isinstance(m, PackedLinear) for m in fp32.modules())  # fp32: transformers' own layers
    assert isinstance(bf16.text_decoder.cls.predictions.fast, torch.nn.Linear)  # the head keeps its tied weights


def test_a_packed_decoder_scores_every_word_as_transformers_does(tiny_model_dir: Path) -> None:
    plain = _plain(tiny_model_dir)
    packed = _plain(tiny_model_dir)
    assert pack_text_decoder(packed.model, rows=12) > 0
    inputs = plain.processor(images=_photos(), text=["a photo of"] * 12, return_tensors="pt")
    inputs["pixel_values"] = inputs["pixel_values"].bfloat16()
    scores = []
    for captioner in (plain, packed):
        with torch.inference_mode():
            out = captioner.model.generate(
                **inputs, max_new_tokens=6, output_scores=True, return_dict_in_generate=True, do_sample=False
            )
        scores.append(torch.stack(out.scores))
    assert torch.equal(scores[0], scores[1])


def test_the_fused_vision_gelu_stays_within_a_bf16_step(tiny_model_dir: Path) -> None:
    plain = _plain(tiny_model_dir)
    fused = _plain(tiny_model_dir)
    assert fuse_vision_gelu(fused.model, rows=16) > 0
    photos = _photos()
    pixels = plain.processor(images=photos, return_tensors="pt")["pixel_values"].bfloat16()
    with torch.inference_mode():
        a = plain.model.vision_model(pixel_values=pixels)[0].float()
        b = fused.model.vision_model(pixel_values=pixels)[0].float()
    assert torch.allclose(a, b, atol=0.1, rtol=0.02)
    assert fused.caption(photos) == plain.caption(photos)
