"""Exact word choice: a bf16/fp16 decoder picks the word fp32 scores pick, even where bf16 cannot tell two apart."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import torch
from transformers import BlipTextConfig
from transformers.models.blip.modeling_blip_text import BlipTextLMPredictionHead

from photoscribe.captioning import Captioner, choose_hardware
from photoscribe.captioning.word_choice import ExactWordChoice
from tests.tiny_blip import COLOURS, colour_image


def near_tie_head() -> BlipTextLMPredictionHead:
    """A 64-word head whose words come in pairs that differ by less than bf16 and fp16 can resolve."""
    torch.manual_seed(0)
    head = BlipTextLMPredictionHead(BlipTextConfig(hidden_size=32, vocab_size=64)).eval()
    with torch.no_grad():
        weight = head.decoder.weight
        weight[1::2] = weight[0::2] + 1e-4 * torch.randn_like(weight[0::2])
        head.decoder.bias.zero_()
    return head


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_the_exact_choice_is_the_fp32_choice_where_the_fast_format_cannot_tell(dtype: torch.dtype) -> None:
    head = near_tie_head()
    hidden = torch.randn(400, 1, 32).to(dtype)  # the decoder's output, in its own format
    with torch.inference_mode():
        fp32_choice = head(hidden.float()).argmax(-1)
        fast = copy.deepcopy(head).to(dtype)
        fast_choice = fast(hidden).argmax(-1)
        exact_choice = ExactWordChoice(copy.deepcopy(head), fast, candidates=4)(hidden).argmax(-1)
    assert (fast_choice != fp32_choice).sum() > 20  # the fast format alone gets many pairs wrong
    assert torch.equal(exact_choice, fp32_choice)


def test_the_best_candidates_get_exact_fp32_scores_and_the_rest_fast_ones() -> None:
    head = near_tie_head()
    hidden = torch.randn(3, 2, 32).bfloat16()
    with torch.inference_mode():
        exact_scores = head(hidden.float())
        fast = copy.deepcopy(head).to(torch.bfloat16)
        scores = ExactWordChoice(copy.deepcopy(head), fast, candidates=4)(hidden)
    assert scores.dtype == torch.float32 and scores.shape == exact_scores.shape
    best = scores.topk(4, dim=-1).indices
    assert torch.allclose(scores.gather(-1, best), exact_scores.gather(-1, best), atol=1e-5)
    assert torch.allclose(scores, exact_scores, atol=0.05)  # the others are bf16-close


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_a_reduced_precision_decoder_checks_its_words_in_fp32(tiny_model_dir: Path, precision: str) -> None:
    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    head = captioner.model.text_decoder.cls.predictions
    assert isinstance(head, ExactWordChoice)
    assert head.exact_weight.dtype == torch.float32 and head.fast.weight.dtype != torch.float32
    assert head.fast.weight is captioner.model.text_decoder.bert.embeddings.word_embeddings.weight  # still tied
    assert captioner.caption([colour_image(c) for c in COLOURS]) == [f"a photo of a {c} wall" for c in COLOURS]


def test_fp32_and_the_opt_out_keep_transformers_head(tiny_model_dir: Path) -> None:
    fp32 = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "fp32"))
    plain = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", "bf16"), exact_word_choice=False)
    for captioner in (fp32, plain):
        assert isinstance(captioner.model.text_decoder.cls.predictions, BlipTextLMPredictionHead)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_weights_load_straight_in_their_format_and_the_word_check_keeps_the_files_fp32_values(
    tiny_model_dir: Path, tmp_path: Path, precision: str
) -> None:
    """Loaded in bf16/fp16 directly (not fp32 first): every weight is the fp32 checkpoint cast, and the word check's
    head holds the checkpoint's own fp32 values; weights not in safetensors files load through fp32 as before."""
    from transformers import BlipForConditionalGeneration

    reference = BlipForConditionalGeneration.from_pretrained(tiny_model_dir, dtype=torch.float32)
    fp32_head = reference.text_decoder.cls.predictions
    captioner = Captioner.load(str(tiny_model_dir), choose_hardware("cpu", precision))
    exact = captioner.model.text_decoder.cls.predictions
    assert torch.equal(exact.exact_weight, fp32_head.decoder.weight) and torch.equal(exact.exact_bias, fp32_head.bias)
    assert torch.equal(exact.transform.dense.weight, fp32_head.transform.dense.weight)
    cast = copy.deepcopy(reference).to(captioner.hardware.text_dtype).state_dict()
    for name, value in captioner.model.vision_model.state_dict().items():
        assert torch.equal(value, cast[f"vision_model.{name}"]), name

    pickled = tmp_path / "model"  # the same model in a pytorch_model.bin, as older checkpoints come
    shutil.copytree(tiny_model_dir, pickled, ignore=shutil.ignore_patterns("*.safetensors"))
    torch.save(reference.state_dict(), pickled / "pytorch_model.bin")
    from_bin = Captioner.load(str(pickled), choose_hardware("cpu", precision)).model.text_decoder.cls.predictions
    assert torch.equal(from_bin.exact_weight, fp32_head.decoder.weight)
