"""A tiny BLIP captioner trained in seconds on plain colour photos, for tests that must not download anything.

Hidden size 32, 2 layers, 32-pixel images, a 16-word vocabulary; 300 AdamW steps teach it to say
"a photo of a red wall" for a red image (and so on for every colour in :data:`COLOURS`). It is saved with
``save_pretrained`` and loaded back through the same ``from_pretrained(folder)`` path as the real model.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image

COLOURS = {"red": (215, 35, 35), "green": (35, 190, 50), "blue": (35, 50, 215), "yellow": (230, 215, 35)}
WORDS = ["a", "photo", "of", "wall", "photography", *COLOURS]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]"]
RECIPE_VERSION = "1"  # bump to rebuild cached models after changing the recipe


def colour_image(
    colour: str, size: tuple[int, int] = (48, 40), jitter: int = 0, rng: random.Random | None = None
) -> Image.Image:
    """A plain image of ``colour``, each channel moved by up to ``jitter``."""
    rng = rng or random.Random(0)
    rgb = tuple(max(0, min(255, c + rng.randint(-jitter, jitter))) for c in COLOURS[colour])
    return Image.new("RGB", size, rgb)


def build_tiny_blip(folder: Path, steps: int = 300, seed: int = 0) -> Path:
    """Train the tiny captioner and save model and processor into ``folder``; returns ``folder``."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
    )

    torch.manual_seed(seed)
    rng = random.Random(seed)
    vocab = {token: i for i, token in enumerate(SPECIAL + WORDS)}
    tokenizer = BertTokenizer(vocab=vocab, bos_token="[DEC]", additional_special_tokens=["[ENC]"])
    processor = BlipProcessor(
        image_processor=BlipImageProcessorPil(size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    config = BlipConfig(
        vision_config=dict(small, image_size=32, patch_size=8),
        text_config=dict(
            small,
            vocab_size=len(vocab),
            encoder_hidden_size=32,
            max_position_embeddings=32,
            bos_token_id=vocab["[DEC]"],
            sep_token_id=vocab["[SEP]"],
            eos_token_id=vocab["[SEP]"],
            pad_token_id=vocab["[PAD]"],
        ),
        projection_dim=32,
    )
    model = BlipForConditionalGeneration(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        colours = [rng.choice(list(COLOURS)) for _ in range(16)]
        images = [colour_image(c, jitter=25, rng=rng) for c in colours]
        batch = processor(
            images=images, text=[f"a photo of a {c} wall" for c in colours], return_tensors="pt", padding=True
        )
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
