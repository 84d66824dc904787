"""The BLIP captioner on the tiny trained model, loaded through from_pretrained like the real one."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from photoscribe.captioning import Captioner, CaptionSettings, choose_hardware
from tests.tiny_blip import COLOURS, colour_image


def test_loads_from_a_local_folder_and_captions_each_colour(tiny_captioner: Captioner) -> None:
    images = [colour_image(c, jitter=10, rng=random.Random(7)) for c in COLOURS]
    assert tiny_captioner.caption(images) == [f"a photo of a {c} wall" for c in COLOURS]


def test_a_batch_gives_the_same_captions_as_one_by_one_in_fp32(tiny_captioner: Captioner) -> None:
    rng = random.Random(3)
    images = [colour_image(rng.choice(list(COLOURS)), jitter=40, rng=rng) for _ in range(9)]
    one_by_one = [tiny_captioner.caption([img])[0] for img in images]
    assert tiny_captioner.caption(images) == one_by_one


@pytest.mark.filterwarnings("ignore:Using the model-agnostic default `max_length`")  # the card's own call
def test_the_same_image_always_gets_the_model_cards_greedy_caption(tiny_model_dir: Path) -> None:
    import torch

    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))
    # flatten the word scores so that sampling (or any randomness) would change the words: the tiny model is
    # otherwise so sure of itself that even sampling repeats the same caption
    head = captioner.model.text_decoder.cls.predictions
    head.register_forward_hook(lambda module, args, scores: scores / 30)
    image = colour_image("blue", jitter=60, rng=random.Random(11))
    inputs = captioner.processor(images=[image], return_tensors="pt")
    with torch.inference_mode():  # the model card's loop: generate, decode without special tokens
        card = captioner.processor.decode(captioner.model.generate(**inputs)[0], skip_special_tokens=True)
    captions = set()
    for seed in range(6):
        torch.manual_seed(seed)
        captions.add(captioner.caption([image])[0])
    assert captions == {card}


def test_conditional_caption_continues_the_prompt(tiny_captioner: Captioner) -> None:
    settings = CaptionSettings(prompt="a photography of")
    captions = tiny_captioner.caption([colour_image("red"), colour_image("yellow")], settings)
    assert captions == ["a photography of a red wall", "a photography of a yellow wall"]


def test_max_length_limits_the_tokens_added(tiny_captioner: Captioner) -> None:
    caption = tiny_captioner.caption([colour_image("green")], CaptionSettings(max_length=2))[0]
    assert caption == "a photo"


def test_beam_search_is_available(tiny_captioner: Captioner) -> None:
    assert tiny_captioner.caption([colour_image("green")], CaptionSettings(num_beams=3)) == ["a photo of a green wall"]


@pytest.mark.parametrize(
    ("precision", "vision", "text", "tolerance"),
    [("bf16", "bfloat16", "bfloat16", 0.012), ("mixed", "bfloat16", "float32", 0.004)],
)
def test_reduced_precisions_on_the_cpu_score_every_word_as_fp32_does(
    tiny_model_dir: Path, tiny_captioner: Captioner, precision: str, vision: str, text: str, tolerance: float
) -> None:
    """The oracle is transformers' own fp32 forward pass. Caption equality alone cannot fail on the tiny model
    (it is far too sure of its words), so the word scores of fp32's captions are compared: bf16 rounding moves them
    by about 0.5 % (mixed: 0.06 %), a vision encoder whose last layer is 5 % off moves them by 2.3 %."""
    import torch

    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    assert str(next(captioner.model.vision_model.parameters()).dtype) == f"torch.{vision}"
    assert str(next(captioner.model.text_decoder.parameters()).dtype) == f"torch.{text}"
    images = [colour_image(c, jitter=40, rng=random.Random(5)) for c in COLOURS]
    captions = tiny_captioner.caption(images)
    assert captioner.caption(images) == captions == [f"a photo of a {c} wall" for c in COLOURS]

    def word_scores(model: Captioner) -> torch.Tensor:
        words = model.processor.tokenizer(captions, return_tensors="pt", padding=True)
        with torch.inference_mode():  # each captioner's own input path (pixels in its vision dtype)
            return model.model(**model._inputs(images, ""), **words).logits.float()

    def off_by(model: Captioner) -> float:
        return float((word_scores(model) - oracle).norm() / oracle.norm())

    oracle = word_scores(tiny_captioner)
    assert 1e-5 < off_by(captioner) < tolerance  # really computed in the reduced precision, and close to fp32
    broken = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    with torch.no_grad():
        for weight in broken.model.vision_model.encoder.layers[-1].parameters():
            weight.mul_(1.05)
    assert off_by(broken) > tolerance  # the tolerance sees a small fault that leaves every caption unchanged


def test_describe_records_what_made_a_caption(tiny_captioner: Captioner) -> None:
    described = tiny_captioner.describe(CaptionSettings(prompt="a photography of", num_beams=2))
    assert described["hardware"] == "cpu fp32"
    assert described["prompt"] == "a photography of"
    assert described["num_beams"] == 2


def test_an_empty_batch_needs_no_model_call(tiny_captioner: Captioner) -> None:
    assert tiny_captioner.caption([]) == []


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_asking_for_a_missing_accelerator_is_a_clear_error(device: str) -> None:
    import torch

    from photoscribe.errors import ConfigError

    available = torch.cuda.is_available() if device == "cuda" else torch.backends.mps.is_available()
    if available:
        pytest.skip(f"{device} is present on this machine")
    with pytest.raises(ConfigError, match=f"'{device}' was asked for"):
        choose_hardware(device, "auto")


def test_fused_attention_gives_the_same_captions_as_transformers_own(tiny_model_dir: Path) -> None:
    import torch

    rng = random.Random(5)
    images = [colour_image(rng.choice(list(COLOURS)), jitter=70, rng=rng) for _ in range(12)]
    eager = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"), fused_attention=False)
    fused = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))
    assert eager.caption(images) == fused.caption(images)
    pixels = eager.processor(images=images[:2], return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        a = eager.model.vision_model(pixel_values=pixels)[0]
        b = fused.model.vision_model(pixel_values=pixels)[0]
    assert torch.allclose(a, b, atol=1e-5)
    from photoscribe.captioning.attention import _fused_forward

    layers = fused.model.vision_model.encoder.layers
    assert all(layer.self_attn.forward.__func__ is _fused_forward for layer in layers)


def test_the_text_decoders_fused_attention_scores_words_as_transformers_own(tiny_model_dir: Path) -> None:
    """Each decoding step (the self-attention over the caption so far, cached and causal over a prompt's tokens;
    the cross-attention over the image, on the image states without keys or values on the CPU) gives transformers'
    scores within fp32 rounding, and the same captions in bf16 too."""
    import torch

    from photoscribe.captioning.attention import _folded_cross_forward, _fused_text_forward

    rng = random.Random(6)
    images = [colour_image(rng.choice(list(COLOURS)), jitter=70, rng=rng) for _ in range(12)]
    for precision in ("fp32", "bf16"):
        eager = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision), fused_attention=False)
        fused = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
        assert eager.caption(images) == fused.caption(images)
    layers = fused.model.text_decoder.bert.encoder.layer
    assert all(layer.crossattention.self.forward.__func__ is _folded_cross_forward for layer in layers)
    assert all(layer.attention.self.forward.__func__ is _fused_text_forward for layer in layers)
    inputs = eager.processor(images=images[:3], text=["a photo of"] * 3, return_tensors="pt")  # several tokens
    scores = []
    for captioner in (
        Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"), fused_attention=False),
        Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32")),
    ):
        with torch.inference_mode():
            out = captioner.model.generate(
                **inputs, max_new_tokens=6, output_scores=True, return_dict_in_generate=True, do_sample=False
            )
        scores.append(torch.stack(out.scores))
    assert scores[0].shape == scores[1].shape and torch.allclose(scores[0], scores[1], atol=1e-4)
    assert out.past_key_values.cross_attention_cache.get_seq_length() == 0  # no keys or values of the image made


def test_cross_attention_on_the_image_states_equals_attention_over_keys_and_values(tiny_model_dir: Path) -> None:
    """One cross-attention layer, fed the same states, with and without a mask over some image tokens: the folded
    computation gives what keys and values give (fp32), and a mask per caption token takes the plain way."""
    import torch

    from photoscribe.captioning.attention import _folded_cross_forward, _fused_text_forward

    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))
    module = captioner.model.text_decoder.bert.encoder.layer[0].crossattention.self
    generator = torch.Generator().manual_seed(3)
    hidden = torch.randn(3, 4, module.all_head_size, generator=generator)
    image = torch.randn(3, 17, module.key.in_features, generator=generator) * 3
    keep = torch.rand(3, 1, 1, 17, generator=generator) > 0.4
    per_token = torch.rand(3, 1, 4, 17, generator=generator) > 0.4
    with torch.inference_mode():
        for mask in (None, keep, torch.where(keep, 0.0, -1e9), per_token):
            folded, _ = _folded_cross_forward(module, hidden, None, image, mask)
            plain, _ = _fused_text_forward(module, hidden, None, image, mask)
            assert torch.allclose(folded, plain, atol=1e-5), mask


def test_prepare_resizes_exactly_as_the_processor_does(tiny_captioner: Captioner) -> None:
    import torch

    rng = random.Random(9)
    image = colour_image("red", size=(300, 200), jitter=80, rng=rng).effect_spread(5)
    prepared = tiny_captioner.prepare(image)
    assert prepared.size == (32, 32)
    a = tiny_captioner.processor(images=[image], return_tensors="pt")["pixel_values"]
    b = tiny_captioner.processor(images=[prepared], return_tensors="pt")["pixel_values"]
    assert torch.equal(a, b)


@pytest.mark.parametrize(("precision", "full_size"), [("fp32", True), ("bf16", False)])
def test_fp32_sees_the_pixels_of_a_full_decode_and_other_precisions_a_scaled_one(
    tmp_path: Path, tiny_model_dir: Path, precision: str, full_size: bool
) -> None:
    from PIL import Image

    from photoscribe.library import Library
    from photoscribe.worker import CaptionWorker

    path = tmp_path / "detailed.jpg"
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(path, quality=90)
    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    card = captioner.processor(images=[Image.open(path).convert("RGB")], return_tensors="np")  # the card's way
    with Library(tmp_path / "library.sqlite3") as library:
        given = CaptionWorker(library, captioner).decoding(path).data  # the model's input, made on a decode thread
    assert given.dtype == card["pixel_values"].dtype and given.shape == card["pixel_values"][0].shape
    assert np.array_equal(given, card["pixel_values"][0]) is full_size
