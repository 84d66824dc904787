"""Device and precision choice."""

from __future__ import annotations

import pytest
import torch

from photoscribe.captioning import hardware
from photoscribe.captioning.hardware import choose_hardware


def test_cpu_auto_precision_follows_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: True)
    chosen = choose_hardware("cpu", "auto")
    assert (chosen.precision, chosen.vision_dtype, chosen.text_dtype) == ("bf16", torch.bfloat16, torch.bfloat16)
    assert "natively" in chosen.reason
    monkeypatch.setattr(hardware, "cpu_has_native_bf16", lambda: False)
    assert choose_hardware("cpu", "auto").precision == "fp32"
    assert not choose_hardware("cpu", "auto").decode_full_size  # the full decode is for fp32 asked for by name
    assert choose_hardware("cpu", "fp32").decode_full_size


def test_explicit_precision_is_kept() -> None:
    chosen = choose_hardware("cpu", "fp32")
    assert chosen.vision_dtype == chosen.text_dtype == torch.float32
    assert chosen.describe() == "cpu fp32"


def test_auto_device_on_a_machine_without_gpu_is_the_cpu() -> None:
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has a GPU")
    chosen = choose_hardware("auto", "auto")
    assert chosen.device.type == "cpu"
    assert "no CUDA or Apple GPU" in chosen.reason


def test_reading_cpu_flags_gives_a_boolean() -> None:
    assert hardware.cpu_has_native_bf16() in (True, False)


@pytest.mark.parametrize(("precision", "batch"), [("fp32", 8), ("mixed", 8), ("bf16", 16), ("fp16", 16)])
def test_the_automatic_batch_is_bigger_where_the_decoder_is_bf16_or_fp16(precision: str, batch: int) -> None:
    assert choose_hardware("cpu", precision).batch_size == batch
