"""The model's input made on decode threads (InputPlan) and stacked for the device (BatchInput): bit for bit the
pixels the real BLIP processor makes, read from the model's files before transformers is imported."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from photoscribe.captioning import Captioner
from photoscribe.captioning.batch_input import BatchInput
from photoscribe.captioning.model_input import InputPlan
from tests.tiny_blip import colour_image


def _photos() -> list[Image.Image]:
    """Photos of several sizes and aspect ratios, with detail in every channel (noise), one already at 32x32."""
    rng = random.Random(3)
    sizes = [(300, 200), (32, 32), (45, 97), (640, 480)]
    return [colour_image(c, size=s, jitter=90, rng=rng).effect_spread(4) for c, s in zip(["red", "blue"] * 2, sizes)]


def _processor_pixels(captioner: Captioner, photos: list[Image.Image]) -> np.ndarray:
    return captioner.processor(images=photos, return_tensors="np")["pixel_values"]


def test_the_plan_read_from_the_files_is_the_loaded_processors(tiny_model_dir: Path, tiny_captioner: Captioner) -> None:
    from_files = InputPlan.from_folder(tiny_model_dir)
    assert from_files is not None and from_files == tiny_captioner.input_plan
    assert (from_files.width, from_files.height) == (32, 32)


def test_pixels_are_the_processors_bit_for_bit(tiny_model_dir: Path, tiny_captioner: Captioner) -> None:
    plan = InputPlan.from_folder(tiny_model_dir)
    assert plan is not None
    photos = _photos()
    expected = _processor_pixels(tiny_captioner, photos)
    made = np.stack([plan.pixels(photo) for photo in photos])
    assert made.dtype == np.float32 and np.array_equal(made, expected)


def test_8_bit_values_normalised_by_the_device_are_the_processors_pixels(tiny_captioner: Captioner) -> None:
    """The GPU route (8-bit values copied, normalised on the device) run on the CPU: the same float32 numbers; a
    batch mixing pixels made before the model loaded with values made after is stacked too."""
    plan = tiny_captioner.input_plan
    assert plan is not None
    photos = _photos()
    expected = torch.from_numpy(_processor_pixels(tiny_captioner, photos))
    values = [np.asarray(plan.resized(photo)) for photo in photos]
    batch = BatchInput(plan, torch.device("cpu"), torch.float32)
    assert torch.equal(batch(values), expected)
    mixed = [plan.pixels(photos[0]), *values[1:]]
    assert torch.equal(batch(mixed), expected)
    assert torch.equal(BatchInput(plan, torch.device("cpu"), torch.bfloat16)(values), expected.bfloat16())


def test_captions_from_prepared_input_are_the_processors(tiny_captioner: Captioner) -> None:
    plan = tiny_captioner.input_plan
    assert plan is not None
    photos = [colour_image(c, size=(80, 60)) for c in ("red", "green", "blue", "yellow")]
    assert tiny_captioner.caption([plan.pixels(p) for p in photos]) == tiny_captioner.caption(photos)


@pytest.mark.parametrize(
    "change",
    [
        {"do_center_crop": True},  # crops: not repeated here
        {"size": {"shortest_edge": 384}},  # keeps the aspect ratio: left to the processor
        {"image_processor_type": "SiglipImageProcessor"},  # another model's processor
        {"image_mean": [0.5, 0.5]},  # not three channels
    ],
)
def test_a_processor_this_module_does_not_repeat_gives_no_plan(tiny_model_dir: Path, tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    config = json.loads((tiny_model_dir / "processor_config.json").read_text())
    config["image_processor"].update(change)
    (tmp_path / "processor_config.json").write_text(json.dumps(config))
    assert InputPlan.from_folder(tmp_path) is None


def test_an_older_saved_config_leaves_out_the_defaults(tmp_path: Path) -> None:
    """Salesforce's preprocessor_config.json names no do_rescale: BLIP's class default (rescale by 1/255) holds."""
    saved = {
        "do_normalize": True,
        "do_resize": True,
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_processor_type": "BlipImageProcessor",
        "image_std": [0.26862954, 0.26130258, 0.27577711],
        "processor_class": "BlipProcessor",
        "resample": 3,
        "size": {"height": 384, "width": 384},
    }
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(saved))
    plan = InputPlan.from_folder(tmp_path)
    assert plan is not None and plan.rescale == pytest.approx(1 / 255) and (plan.width, plan.height) == (384, 384)
    assert InputPlan.from_folder(tmp_path / "nowhere") is None


def test_reading_the_plan_imports_no_torch(tiny_model_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from photoscribe.captioning.model_input import InputPlan; "
        "from photoscribe.worker_input import Decoding; "
        f"assert InputPlan.from_folder(Path({str(tiny_model_dir)!r})) is not None; "
        "print([m for m in ('torch', 'transformers') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
