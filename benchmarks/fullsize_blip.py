"""A full-size BLIP-base captioner with random weights and real-size photos, for benchmarks without downloads.

Speed depends on the architecture, not the weights: BlipConfig's defaults are BLIP-base's (ViT-B/16 at 384
pixels, a 12-layer BERT decoder with cross-attention, 30,524 tokens), so the same work is done per photo as with
``Salesforce/blip-image-captioning-base``. Both the model and the photos are cached on disk after the first run.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

CACHE = Path(__file__).resolve().parent / ".cache"
SIZES = {"24mp": (6000, 4000), "12mp": (4240, 2832)}


def build_fullsize_blip(folder: Path = CACHE / "blip-base-random-v3") -> Path:
    """Save a randomly initialised BLIP-base captioner (model + processor) into ``folder`` once."""
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessorPil, BlipProcessor

    torch.manual_seed(0)
    processor = BlipProcessor(image_processor=BlipImageProcessorPil(), tokenizer=bert_sized_tokenizer())  # 384x384
    config = BlipConfig(
        # BlipVisionConfig initialises weights with std 1e-10 (fine before loading a checkpoint); random weights
        # that small make every activation vanish, so use BERT's 0.02 for realistic numbers.
        vision_config={"initializer_range": 0.02},
        # BlipTextConfig's default is 8 attention heads of 96; BLIP-base's decoder has BERT-base's 12 heads of 64.
        text_config={
            "num_attention_heads": 12,
            "bos_token_id": 30522,
            "sep_token_id": 102,
            "eos_token_id": 102,
            "pad_token_id": 0,
        },
    )
    model = BlipForConditionalGeneration(config).eval()
    log.info("built BLIP-base with %.0f M random parameters", sum(p.numel() for p in model.parameters()) / 1e6)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def bert_sized_tokenizer(words: Sequence[str] = ()) -> object:
    """A BERT tokenizer with BERT's 30,522 ids plus BLIP's [DEC] and [ENC]: ``words`` first, then "w<id>" fillers."""
    from transformers import BertTokenizer

    special = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}
    free = (i for i in range(30522) if i not in special.values())
    vocab = {**dict(zip(words, free)), **special}
    taken = set(vocab.values())
    vocab.update((f"w{i}", i) for i in range(30522) if i not in taken)
    vocab.update({"[DEC]": 30522, "[ENC]": 30523})
    return BertTokenizer(vocab=vocab, bos_token="[DEC]", additional_special_tokens=["[ENC]"])


def add_grain(image: Image.Image, amount: float) -> Image.Image:
    """``image`` blended with Gaussian noise, like film grain or a camera's sensor noise."""
    grain = Image.effect_noise(image.size, 40).convert("RGB")
    return Image.blend(image, grain, amount)


def make_photos(count: int, size: str = "24mp", folder: Path | None = None) -> list[Path]:
    """``count`` camera-sized JPEGs with photo-like structure and detail, made once.

    Smooth colour fields plus grain, saved at quality 92: about 9 MB for 24 MP, like a camera's fine JPEG, so
    that decoding costs what it does on real photos (a smooth synthetic image decodes several times faster).
    """
    folder = folder or CACHE / f"photos-{size}-v2"
    folder.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    paths = []
    for i in range(count):
        path = folder / f"IMG_{i:04d}.jpg"
        if not path.exists():
            rng = random.Random(i)
            small = Image.new("RGB", (48, 32))
            small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(48 * 32)])
            img = small.resize((width, height), Image.Resampling.BICUBIC)
            add_grain(img, 0.2).save(path, quality=92)
        paths.append(path)
    return paths


def many_photos(count: int, size: str = "24mp", distinct: int = 48) -> list[Path]:
    """``count`` camera-sized JPEGs made from ``distinct`` generated ones: the others are byte copies with a few
    different bytes after the end of the picture (decoders stop at its end marker; the library sees a new file with
    its own fingerprint), so a thousand photos take minutes to make instead of an hour."""
    if count <= distinct:
        return make_photos(count, size)
    base = make_photos(distinct, size)
    folder = CACHE / f"photos-{size}-v2-many"
    folder.mkdir(parents=True, exist_ok=True)
    paths = list(base)
    for i in range(distinct, count):
        path = folder / f"IMG_{i:05d}.jpg"
        if not path.exists():
            path.write_bytes(base[i % distinct].read_bytes() + f"copy {i}".encode())
        paths.append(path)
    return paths
