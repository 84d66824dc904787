"""The GPU's JPEG route, in the parts that run on a CPU: the decode threads read bytes and orientation, the picture
is turned upright as Pillow turns it and resized close to Pillow's bicubic, the worker turns it on only when the
model waits for decoding. nvJPEG itself needs a CUDA GPU (torchvision's CPU decoder runs the same code if present)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter, ImageOps

from photoscribe.captioning import Captioner
from photoscribe.captioning.batch_input import BatchInput
from photoscribe.captioning.gpu_decode import decode_on_gpu, gpu_jpeg_decoding, resized, upright
from photoscribe.captioning.model_input import JpegBytes
from photoscribe.worker_input import Decoding, starved


def _oriented(values: np.ndarray, orientation: int) -> Image.Image:
    """An image carrying EXIF ``orientation``, read back as a file would be."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, "PNG", exif=exif.tobytes())
    buffer.seek(0)
    return Image.open(buffer)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_turned_upright_as_pillow_turns_it(orientation: int) -> None:
    values = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    expected = np.asarray(ImageOps.exif_transpose(_oriented(values, orientation)))
    turned = upright(torch.from_numpy(values).permute(2, 0, 1), orientation).permute(1, 2, 0).numpy()
    assert turned.shape == expected.shape and np.array_equal(turned, expected)


def test_resized_within_a_grey_level_of_pillows_bicubic() -> None:
    picture = Image.effect_noise((900, 600), 60).convert("RGB").filter(ImageFilter.GaussianBlur(2))
    values = np.asarray(picture)
    ours = resized(torch.from_numpy(values.copy()).permute(2, 0, 1), (384, 384)).numpy().astype(int)
    pillows = np.asarray(picture.resize((384, 384), Image.Resampling.BICUBIC)).astype(int)
    assert ours.shape == (384, 384, 3) and np.abs(ours - pillows).mean() < 0.5


def test_decode_threads_only_read_big_jpegs_for_the_gpu(tmp_path: Path, tiny_captioner: Captioner) -> None:
    big, small, png = tmp_path / "big.jpg", tmp_path / "small.jpg", tmp_path / "big.png"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (1200, 800), "red").save(big, exif=exif.tobytes())
    Image.new("RGB", (300, 200), "red").save(small)
    Image.new("RGB", (1200, 800), "red").save(png)
    decoding = Decoding(tiny_captioner.input_plan, gpu_jpegs=True)
    read = decoding(big).data
    assert isinstance(read, JpegBytes) and read.data == big.read_bytes() and read.orientation == 6
    assert isinstance(decoding(small).data, np.ndarray)  # cheap for the CPU: decoded there
    assert isinstance(decoding(png).data, np.ndarray)
    assert isinstance(Decoding(tiny_captioner.input_plan, full_size=True, gpu_jpegs=True)(big).data, np.ndarray)


def test_a_batch_mixing_device_tensors_and_arrays_is_normalised_alike(tiny_captioner: Captioner) -> None:
    plan = tiny_captioner.input_plan
    assert plan is not None
    photos = [Image.effect_noise((40, 30), 50).convert("RGB") for _ in range(3)]
    expected = torch.from_numpy(tiny_captioner.processor(images=photos, return_tensors="np")["pixel_values"])
    on_device = torch.from_numpy(np.asarray(plan.resized(photos[0])).copy())  # as decode_on_gpu hands it over
    items = [on_device, plan.pixels(photos[1]), np.asarray(plan.resized(photos[2]))]
    assert torch.equal(BatchInput(plan, torch.device("cpu"), torch.float32)(items), expected)


def test_the_gpu_decodes_only_when_the_model_waits_for_the_decode_threads() -> None:
    assert not starved(waited=0.05, captioning=1.0)
    assert starved(waited=0.5, captioning=1.0)
    assert not gpu_jpeg_decoding(torch.device("cpu"))


def test_the_jpeg_route_decodes_upright_at_the_models_size(tmp_path: Path) -> None:
    pytest.importorskip("torchvision.io", exc_type=ImportError)
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 8
    Image.effect_noise((1200, 800), 50).convert("RGB").save(path, quality=95, exif=exif.tobytes())
    (values,) = decode_on_gpu([JpegBytes(path.read_bytes(), 8)], (384, 384), torch.device("cpu"))
    with Image.open(path) as image:
        expected = np.asarray(
            ImageOps.exif_transpose(image).convert("RGB").resize((384, 384), Image.Resampling.BICUBIC)
        )
    assert values.shape == (384, 384, 3) and np.abs(values.numpy().astype(int) - expected).mean() < 2
