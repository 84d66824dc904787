"""Device and precision choice."""

from __future__ import annotations

import platform

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


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="torch's CPUID query is x86 only")
def test_native_bf16_agrees_with_torchs_own_cpu_query() -> None:
    # the oracle: torch's CPUID-based capability check, not the /proc/cpuinfo text the product parses
    expected = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert hardware.cpu_has_native_bf16() is expected


@pytest.mark.parametrize("precision", ["mixed", "bf16", "fp16"])
def test_the_automatic_batch_holds_as_many_decoder_bytes_as_fp32s(precision: str) -> None:
    # a decoder step reads every weight whatever the batch: half-size numbers buy twice the photos, no more
    fp32, other = choose_hardware("cpu", "fp32"), choose_hardware("cpu", precision)
    item = torch.empty((), dtype=other.text_dtype).element_size()
    assert other.batch_size * item == fp32.batch_size * torch.empty((), dtype=torch.float32).element_size()


def test_gpu_batches_grow_with_free_memory_up_to_a_cap() -> None:
    from photoscribe.captioning.hardware import GPU_MAX_BATCH, gpu_batch_size

    gib = 2**30
    assert gpu_batch_size(78 * gib) == GPU_MAX_BATCH == 256  # an H100 with the model loaded
    assert gpu_batch_size(14 * gib) == 64  # a 16 GB card
    assert gpu_batch_size(5 * gib) == 32
    assert gpu_batch_size(1 * gib) == 16  # never below 16: running out of memory halves it later
    assert gpu_batch_size(14 * gib, scale=2) == 32  # fp32 takes twice the memory
