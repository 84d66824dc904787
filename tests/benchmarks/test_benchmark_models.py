"""The benchmark's stand-ins for BLIP-base: the vocabulary and the shape photos the trained decoder learns from."""

from __future__ import annotations

import random

from benchmarks.fullsize_blip import bert_sized_tokenizer
from benchmarks.trained_blip import HUES, SHAPES, WORDS, ShapePlan


def test_the_vocabulary_is_bert_sized_with_the_caption_words_first() -> None:
    tokenizer = bert_sized_tokenizer(WORDS)
    assert len(tokenizer) == 30524  # BERT's 30,522 plus [DEC] and [ENC], so the LM head is full size
    ids = tokenizer("a red circle on a blue background", add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids and max(ids) <= len(WORDS)
    assert tokenizer.decode(ids) == "a red circle on a blue background"
    assert tokenizer.convert_tokens_to_ids(["[DEC]", "[ENC]", "[SEP]"]) == [30522, 30523, 102]


def test_a_shape_photo_shows_what_its_caption_says() -> None:
    for seed in range(20):
        plan = ShapePlan.draw_lots(random.Random(seed))
        assert plan.colour != plan.background and plan.colour in HUES and plan.shape in SHAPES
        assert plan.caption == f"a {plan.colour} {plan.shape} on a {plan.background} background"
        image = plan.render((600, 400))
        edge = plan.edge * 400
        left, top = plan.position[0] * (600 - edge), plan.position[1] * (400 - edge)
        inside = image.getpixel((round(left + edge / 2), round(top + edge * 0.75)))  # inside every shape
        corners = [(0, 0), (599, 0), (0, 399), (599, 399)]
        outside = max(corners, key=lambda c: abs(c[0] - left - edge / 2) + abs(c[1] - top - edge / 2))
        assert _close(inside, plan.shape_rgb), (seed, inside, plan)
        assert _close(image.getpixel(outside), plan.background_rgb), (seed, plan)


def test_the_same_seed_always_plans_the_same_photo() -> None:
    assert ShapePlan.draw_lots(random.Random(7)) == ShapePlan.draw_lots(random.Random(7))


def _close(pixel: tuple[int, ...], rgb: tuple[int, int, int]) -> bool:
    """Equal but for the grain (15% of noise around mid-grey)."""
    return all(abs(p - c) <= 0.15 * 255 + 12 for p, c in zip(pixel, rgb))
