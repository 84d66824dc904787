"""A full-size BLIP-base whose text decoder is trained here, for measuring caption agreement without downloads.

Random weights are right for speed but wrong for agreement: a random decoder's greedy choice among 30,524 tokens
is a near tie at almost every step, so any rounding flips words. A trained captioner is confident where the
picture is clear and undecided only where the picture is ambiguous, and that is what decides how often bf16 or
fp16 change a caption. This module trains the full-size BLIP-base decoder (the same 224 M parameter architecture
as ``Salesforce/blip-image-captioning-base``, vision encoder left random and frozen) to describe generated photos
of a coloured shape on a coloured background: "a red circle on a blue background". Colours are drawn from the
whole hue circle, so photos near the border between two colour names are as ambiguous as real ones.

It takes a few minutes on two CPU cores and is cached in ``benchmarks/.cache``, like the random model.
"""

from __future__ import annotations

import colorsys
import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from benchmarks.fullsize_blip import CACHE, SIZES, add_grain, bert_sized_tokenizer, build_fullsize_blip

log = logging.getLogger(__name__)

#: Colour names and the hue (degrees) each names; a hue gets the name of the nearest one.
HUES = {"red": 0, "orange": 30, "yellow": 58, "green": 120, "cyan": 185, "blue": 235, "purple": 275, "pink": 325}
SHAPES = ("circle", "square", "triangle")
WORDS = ("a", "on", "background", *HUES, *SHAPES)
TRAINING_PHOTOS = 768
TRAINING_STEPS = 360
BATCH = 16
#: Cross-attention key/value projections stay random: they keep the image's information and cost most to train.
FROZEN = tuple(f"crossattention.self.{p}.{t}" for p in ("key", "value") for t in ("weight", "bias"))


def build_trained_blip(folder: Path = CACHE / "blip-base-trained-v2") -> Path:
    """Train the decoder of a full-size BLIP-base on generated shape photos and save it in ``folder`` once."""
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from transformers import BlipForConditionalGeneration, BlipImageProcessorPil, BlipProcessor

    log.warning("training the decoder of a full-size BLIP-base once (about 10 minutes on two cores) into %s", folder)
    torch.manual_seed(0)
    processor = BlipProcessor(image_processor=BlipImageProcessorPil(), tokenizer=bert_sized_tokenizer(WORDS))
    model = BlipForConditionalGeneration.from_pretrained(build_fullsize_blip())
    features, captions = _training_features(model, processor)
    _train_decoder(model, processor, features, captions)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def make_shape_photos(count: int, size: str = "24mp", seed: int = 1_000_000) -> list[tuple[Path, str]]:
    """``count`` camera-sized JPEGs of a coloured shape on a coloured background, with their true captions.

    The seed range is apart from the training photos', so the trained model has never seen these.
    """
    folder = CACHE / f"shapes-{size}-v1"
    folder.mkdir(parents=True, exist_ok=True)
    photos = []
    for i in range(count):
        path = folder / f"SHAPE_{i:04d}.jpg"
        plan = ShapePlan.draw_lots(random.Random(seed + i))
        if not path.exists():
            plan.render(SIZES[size]).save(path, quality=92)
        photos.append((path, plan.caption))
    return photos


@dataclass(frozen=True)
class ShapePlan:
    """What one generated photo shows: a shape of one colour on a background of another, placed at random."""

    shape: str
    colour: str
    background: str
    shape_rgb: tuple[int, int, int]
    background_rgb: tuple[int, int, int]
    edge: float  # the shape's size, as a share of the photo's short side
    position: tuple[float, float]  # where its box starts, as shares of the room left

    @classmethod
    def draw_lots(cls, rng: random.Random) -> ShapePlan:
        """A random plan; colours come from the whole hue circle, so some sit between two names."""
        background_hue, background = _random_colour(rng)
        shape_hue, colour = _random_colour(rng)
        while colour == background:
            shape_hue, colour = _random_colour(rng)
        shape = rng.choice(SHAPES)
        background_rgb = _rgb(background_hue, rng)
        edge, position = rng.uniform(0.3, 0.6), (rng.random(), rng.random())
        return cls(shape, colour, background, _rgb(shape_hue, rng), background_rgb, edge, position)

    @property
    def caption(self) -> str:
        """The true caption, e.g. "a red circle on a blue background"."""
        return f"a {self.colour} {self.shape} on a {self.background} background"

    def render(self, size: tuple[int, int]) -> Image.Image:
        """The photo at ``size``, with film grain."""
        width, height = size
        image = Image.new("RGB", size, self.background_rgb)
        edge = self.edge * min(width, height)
        left, top = self.position[0] * (width - edge), self.position[1] * (height - edge)
        box = (left, top, left + edge, top + edge)
        draw = ImageDraw.Draw(image)
        if self.shape == "circle":
            draw.ellipse(box, fill=self.shape_rgb)
        elif self.shape == "square":
            draw.rectangle(box, fill=self.shape_rgb)
        else:
            draw.polygon([(left + edge / 2, top), (left, top + edge), (left + edge, top + edge)], fill=self.shape_rgb)
        return add_grain(image, 0.15)


def _random_colour(rng: random.Random) -> tuple[float, str]:
    hue = rng.uniform(0, 360)
    name = min(HUES, key=lambda n: min(abs(hue - HUES[n]), 360 - abs(hue - HUES[n])))
    return hue, name


def _rgb(hue: float, rng: random.Random) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue / 360, rng.uniform(0.7, 1.0), rng.uniform(0.7, 1.0))
    return round(r * 255), round(g * 255), round(b * 255)


def _training_features(model: object, processor: object) -> tuple[object, list[str]]:
    """Vision-encoder outputs (bf16, to save memory and time) of the training photos, and their captions."""
    import torch

    plans = [ShapePlan.draw_lots(random.Random(i)) for i in range(TRAINING_PHOTOS)]
    images, captions = [plan.render((576, 384)) for plan in plans], [plan.caption for plan in plans]
    features = []
    vision = model.vision_model.to(torch.bfloat16)
    with torch.inference_mode():
        for start in range(0, TRAINING_PHOTOS, 32):
            pixels = processor(images=list(images[start : start + 32]), return_tensors="pt")["pixel_values"]
            features.append(vision(pixel_values=pixels.bfloat16())[0])
    vision.float()
    return torch.cat(features), list(captions)


def _train_decoder(model: object, processor: object, features: object, captions: list[str]) -> None:
    """Teach the decoder the captions (label smoothing 0.1, as BLIP was trained); the vision encoder stays frozen."""
    import torch
    import torch.nn.functional as F

    decoder = model.text_decoder.train()
    tokens = processor.tokenizer(captions, padding="longest", return_tensors="pt")
    ids = tokens["input_ids"].clone()
    ids[:, 0] = model.config.text_config.bos_token_id
    labels = ids.masked_fill(tokens["attention_mask"] == 0, -100)
    for name, parameter in decoder.named_parameters():  # random projections of the image keep its information
        parameter.requires_grad_(not name.endswith(FROZEN))
    trainable = [p for p in decoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-4, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, step / 30) * 0.5 * (1 + math.cos(math.pi * step / TRAINING_STEPS))
    )
    started = time.perf_counter()
    for step in range(TRAINING_STEPS):
        batch = torch.randint(0, len(captions), (BATCH,))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = decoder(
                input_ids=ids[batch],
                attention_mask=tokens["attention_mask"][batch],
                encoder_hidden_states=features[batch].float(),
                return_dict=True,
            ).logits
        loss = F.cross_entropy(
            logits[:, :-1].float().flatten(0, 1), labels[batch][:, 1:].flatten(), label_smoothing=0.1
        )
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if step % 20 == 0:
            log.info("step %d loss %.3f (%.0f s)", step, loss.item(), time.perf_counter() - started)
    decoder.eval()
