"""Exact word choice for a text decoder that runs in bf16 or fp16.

Greedy decoding picks the word with the highest score. In bf16 the scores of the 30,524 words carry about two
significant digits, so where two words score nearly the same the rounding, not the model, picks one. That is
where reduced-precision captions differ from fp32 ones. On the benchmark's full-size BLIP-base with a trained
decoder (``benchmarks/bench_caption.py --weights trained``, 96 photos), bf16 gave the fp32 caption for 95 photos
with this check and for 91 without, at the same speed within the noise.

:class:`ExactWordChoice` replaces BLIP's prediction head: it scores every word in the decoder's fast number format,
then rescores the few best candidates exactly in fp32, from the checkpoint's own fp32 weights. The highest of those
is the word fp32 scores would have picked, unless the fast scores were wrong by more than the gap to the 16th
best word. The other scores stay as the fast format computed them (used only by beam search's ranking).
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger(__name__)

CANDIDATES = 16
#: Where BLIP's prediction head sits in the checkpoint, and the word embeddings its output weights are tied to.
HEAD = "text_decoder.cls.predictions."
TIED = {"decoder.weight": "text_decoder.bert.embeddings.word_embeddings.weight", "bias": HEAD + "decoder.bias"}


class ExactWordChoice(nn.Module):
    """BLIP's prediction head, scored fast for all words and exactly (fp32) for the best ``candidates``."""

    def __init__(self, fp32_head: nn.Module, fast_head: nn.Module, candidates: int = CANDIDATES) -> None:
        """Combine ``fp32_head`` (a ``BlipTextLMPredictionHead`` in fp32, taken over) with the cast ``fast_head``.

        The fast head's output weights are the decoder's word embeddings (tied), so they cost no extra memory; the
        fp32 copy of them (94 MB for BLIP-base) is what makes the check exact.
        """
        super().__init__()
        self.transform = fp32_head.transform.float()
        self.register_buffer("exact_weight", fp32_head.decoder.weight.detach().float(), persistent=False)
        self.register_buffer("exact_bias", fp32_head.decoder.bias.detach().float(), persistent=False)
        self.fast = fast_head.decoder
        self.candidates = min(candidates, self.exact_weight.shape[0])

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """fp32 word scores for ``hidden_states`` (batch, tokens, hidden); the top candidates' scores are exact."""
        hidden = self.transform(hidden_states.float())
        scores = self.fast(hidden.to(self.fast.weight.dtype)).float()
        best = scores.topk(self.candidates, dim=-1).indices
        exact = torch.einsum("...h,...kh->...k", hidden, self.exact_weight[best]) + self.exact_bias[best]
        return scores.scatter_(-1, best, exact)


def use_exact_word_choice(model: nn.Module, fp32_head: nn.Module) -> None:
    """Give ``model``'s text decoder (already cast to bf16/fp16) an :class:`ExactWordChoice` made with ``fp32_head``.

    ``fp32_head`` is a copy of ``model.text_decoder.cls.predictions`` taken before the cast; it is taken over.
    """
    fast_head = model.text_decoder.cls.predictions
    exact = ExactWordChoice(fp32_head, fast_head)
    model.text_decoder.cls.predictions = exact.to(fast_head.decoder.weight.device)
    log.info(
        "word choice checked in fp32 over the %s decoder's %d best candidates",
        fast_head.decoder.weight.dtype,
        CANDIDATES,
    )


def fp32_head_from_files(folder: Path, head: nn.Module) -> nn.Module | None:
    """A float32 copy of BLIP's prediction ``head`` (loaded in bf16/fp16) with the values of the checkpoint's
    safetensors files in ``folder``, as a float32 load would give them; ``None`` when some are not found there."""
    from safetensors import safe_open

    wanted = {name: [HEAD + name, *([TIED[name]] if name in TIED else [])] for name, _ in head.named_parameters()}
    found: dict[str, torch.Tensor] = {}
    for file in sorted(folder.glob("*.safetensors")):
        with safe_open(str(file), "pt") as weights:
            keys = set(weights.keys())
            for name, candidates in wanted.items():
                key = next((k for k in candidates if k in keys), None)
                if name not in found and key is not None:
                    found[name] = weights.get_tensor(key).float()
    if set(found) != set(wanted):
        log.info("the prediction head's fp32 values are not all in %s; loading the model in fp32", folder)
        return None
    exact = copy.deepcopy(head).float()
    with torch.no_grad():
        for name, parameter in exact.named_parameters():
            parameter.copy_(found[name])
    return exact
