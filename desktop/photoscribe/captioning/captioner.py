"""BLIP captioning of image batches: one processor call and one ``generate`` per batch.

Decoding is deterministic (no sampling), so a photo always gets the same caption; unless the user sets a
maximum length or a beam count, generation follows the model's own generation config, exactly as the model
card's example does.

:meth:`Captioner.caption_with_vectors` also keeps each photo's pooled vision vector (for *similar photos*): the
vision encoder runs once inside ``generate`` anyway, and a forward hook that only reads its output takes the
pooled vector (the class token after the post-layernorm, ``pooler_output``) from that same pass, so there is no
extra model pass and the captions are exactly those of :meth:`Captioner.caption`.
"""

from __future__ import annotations

import copy
import gc
import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from photoscribe.captioning.allocator import keep_freed_memory
from photoscribe.captioning.attention import use_fused_attention, use_fused_text_attention
from photoscribe.captioning.batch_input import BatchInput
from photoscribe.captioning.building import BUILDING
from photoscribe.captioning.caption_settings import CaptionSettings
from photoscribe.captioning.collector import collector_paused
from photoscribe.captioning.gpu_decode import gpu_jpeg_decoding
from photoscribe.captioning.hardware import Hardware
from photoscribe.captioning.model_files import model_folder
from photoscribe.captioning.model_input import InputPlan
from photoscribe.captioning.packed_linear import fuse_vision_gelu, pack_text_decoder
from photoscribe.captioning.word_choice import fp32_head_from_files, use_exact_word_choice
from photoscribe.errors import ModelLoadError

log = logging.getLogger(__name__)

TRANSFORMERS_DEFAULT_NEW_TOKENS = 20
VISION_TOKENS = 577  # BLIP-base's vision encoder: 24 x 24 patches of a 384-pixel image and the class token

__all__ = ["Captioner", "CaptionSettings", "Photo"]


#: A photo as :meth:`Captioner.caption` takes it: a PIL image (the processor prepares it), or the model's input
#: made by :attr:`Captioner.input_plan` on a decode thread (float32 pixels, 8-bit values, or a tensor on the device).
Photo = Image.Image | np.ndarray | torch.Tensor


class Captioner:
    """A loaded BLIP model and processor on one device, ready to caption batches of photos."""

    def __init__(self, model: torch.nn.Module, processor: object, hardware: Hardware, model_ref: str) -> None:
        self.model = model
        self.processor = processor
        self.hardware = hardware
        self.model_ref = model_ref
        #: How the processor makes the model's pixels, repeated on decode threads (None: the processor does it).
        self.input_plan = InputPlan.of_processor(getattr(processor, "image_processor", None))
        plan = self.input_plan
        self._batch_input = BatchInput(plan, hardware.device, hardware.vision_dtype) if plan is not None else None

    @property
    def decodes_jpegs_on_device(self) -> bool:
        """True when the device can decode JPEGs itself (a CUDA GPU with torchvision's nvJPEG decoder)."""
        return self.takes_values and gpu_jpeg_decoding(self.hardware.device)

    @property
    def takes_values(self) -> bool:
        """True when the device normalises 8-bit values itself (a CUDA GPU): decode threads hand those over."""
        return self._batch_input is not None and self.hardware.device.type == "cuda"

    @classmethod
    def load(
        cls,
        model_ref: str,
        hardware: Hardware,
        progress: type | None = None,
        fused_attention: bool = True,
        exact_word_choice: bool = True,
        packed_layers: bool = True,
    ) -> Captioner:
        """Load ``model_ref`` (a Hub id or a local folder), downloading it first if needed.

        ``fused_attention`` runs the vision encoder's attention through PyTorch's fused kernel (faster, same
        captions); turn it off to run exactly transformers' own code. ``exact_word_choice`` rescores a bf16/fp16
        decoder's best word candidates in fp32 (see :mod:`photoscribe.captioning.word_choice`). ``packed_layers``
        packs the CPU's bf16 layers for oneDNN (:mod:`photoscribe.captioning.packed_linear`).

        Raises :class:`ModelLoadError` with advice when the model cannot be found or loaded.
        """
        keep_freed_memory()
        folder = model_folder(model_ref, progress)
        with collector_paused():  # importing transformers and building the model make no garbage worth a pass
            return cls._build(model_ref, folder, hardware, fused_attention, exact_word_choice, packed_layers)

    @classmethod
    def _build(
        cls,
        model_ref: str,
        folder: Path,
        hardware: Hardware,
        fused_attention: bool,
        exact_word_choice: bool,
        packed_layers: bool,
    ) -> Captioner:
        """:meth:`load` once the model's files are in ``folder``."""
        from transformers import BlipForConditionalGeneration, BlipProcessor

        _keep_imported()

        check_words = exact_word_choice and hardware.text_dtype != torch.float32
        # Weights load straight in the format they run in (the cast transformers makes while loading rounds as
        # model.to() does), unless the encoder and decoder differ; the word check's fp32 head is read from the files.
        dtype = hardware.text_dtype if hardware.vision_dtype == hardware.text_dtype else torch.float32
        try:
            with warnings.catch_warnings(), _quiet_transformers(), BUILDING:  # (one model built at a time)
                warnings.simplefilter("ignore")
                processor = BlipProcessor.from_pretrained(folder)
                model = BlipForConditionalGeneration.from_pretrained(folder, dtype=dtype)
                fp32_head = _fp32_head(folder, model, dtype) if check_words else None
                if check_words and fp32_head is None:  # weights not in safetensors files: load them in fp32 too
                    model = BlipForConditionalGeneration.from_pretrained(folder, dtype=torch.float32)
                    fp32_head = copy.deepcopy(model.text_decoder.cls.predictions)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(
                f"{folder} does not hold a BLIP captioning model saved with save_pretrained ({exc})"
            ) from exc
        model.to(device=hardware.device, dtype=hardware.text_dtype).eval()
        if fp32_head is not None:
            use_exact_word_choice(model, fp32_head)
        if hardware.vision_dtype != hardware.text_dtype:
            _split_precision(model, hardware.vision_dtype, hardware.text_dtype)
        if fused_attention:
            use_fused_attention(model)
            use_fused_text_attention(model, fold_cross_attention=hardware.device.type == "cpu")
        if packed_layers and hardware.device.type == "cpu":  # (bf16 only: the functions leave other formats alone)
            pack_text_decoder(model, rows=hardware.batch_size)
            fuse_vision_gelu(model, rows=hardware.batch_size * VISION_TOKENS)
        log.info("loaded %s from %s on %s", model_ref, folder, hardware.describe())
        return cls(model, processor, hardware, model_ref)

    def caption(self, images: Sequence[Photo], settings: CaptionSettings = CaptionSettings()) -> list[str]:
        """Captions for ``images`` (RGB PIL images, or input made by :attr:`input_plan`) from a single ``generate``
        call, in the same order."""
        if not images:
            return []
        kwargs = {**self._default_length(), **settings.generate_kwargs()}
        with torch.inference_mode():
            inputs = self._inputs(images, settings.prompt)
            output = self.model.generate(**inputs, **kwargs)
        return [text.strip() for text in self.processor.batch_decode(output, skip_special_tokens=True)]

    def caption_with_vectors(
        self, images: Sequence[Photo], settings: CaptionSettings = CaptionSettings()
    ) -> tuple[list[str], np.ndarray | None]:
        """:meth:`caption` plus each image's pooled vision vector: an ``(n, width)`` float32 array, L2-normalised,
        in the same order (``None`` if the encoder's output could not be read, e.g. another transformers).

        The vectors come from the vision encoder's pass inside ``generate`` (a read-only forward hook).
        """
        pooled: list[torch.Tensor] = []
        caller = threading.get_ident()  # batches may be captioned on several threads at once (CPU streams)

        def keep_pooled(_module: torch.nn.Module, _inputs: object, output: object) -> None:
            vector = getattr(output, "pooler_output", None)
            if isinstance(vector, torch.Tensor) and threading.get_ident() == caller:
                pooled.append(vector.detach().to(device="cpu", dtype=torch.float32))

        handle = self.model.vision_model.register_forward_hook(keep_pooled)
        try:
            captions = self.caption(images, settings)
        finally:
            handle.remove()
        return captions, _normalised_rows(pooled, len(captions))

    def _default_length(self) -> dict[str, int]:
        """The length limit generation uses when the user sets none.

        A checkpoint that sets its own limit keeps it. Otherwise transformers' default (20 new tokens) is passed
        explicitly: the same captions, without the warning transformers prints when it falls back on it.
        """
        config = self.model.text_decoder.generation_config
        if config.max_length is not None or config.max_new_tokens is not None:
            return {}
        return {"max_new_tokens": TRANSFORMERS_DEFAULT_NEW_TOKENS}

    def prepare(self, image: Image.Image) -> Image.Image:
        """Resize ``image`` to the model's input exactly as the processor would, so it can be done ahead of time.

        The processor's own resize of an image already at its size is then a no-op, so the decode threads do
        this work instead of the thread running the model, and the pixels are the same either way.
        """
        processor = self.processor.image_processor
        width, height = (_size_field(processor.size, k) for k in ("width", "height"))
        target = (width, height) if width and height else None
        if target is None or not processor.do_resize or image.size == target:
            return image  # a processor that keeps aspect ratios resizes by itself
        return image.resize(target, Image.Resampling(int(processor.resample)))

    def describe(self, settings: CaptionSettings) -> dict[str, object]:
        """What produced a caption, stored beside it in the library."""
        return {"model": self.model_ref, "hardware": self.hardware.describe(), **asdict(settings)}

    def _inputs(self, images: Sequence[Photo], prompt: str) -> dict[str, torch.Tensor]:
        text = [prompt] * len(images) if prompt else None
        device, dtype = self.hardware.device, self.hardware.vision_dtype
        if self._batch_input is not None and not any(isinstance(image, Image.Image) for image in images):
            encoded = self.processor(text=text, return_tensors="pt") if prompt else {}
            inputs = {"pixel_values": self._batch_input(images)}  # type: ignore[arg-type]
        else:
            encoded = self.processor(images=list(images), text=text, return_tensors="pt")
            inputs = {"pixel_values": encoded["pixel_values"].to(device=device, dtype=dtype)}
        if prompt:
            inputs["input_ids"] = encoded["input_ids"].to(device)
            inputs["attention_mask"] = encoded["attention_mask"].to(device)
        return inputs


def _fp32_head(folder: Path, model: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module | None:
    """The prediction head in fp32 for the exact word choice: copied when the model loaded in fp32, else read from
    the checkpoint's own fp32 values (``None`` when they are not in safetensors files)."""
    head = model.text_decoder.cls.predictions
    if dtype == torch.float32:
        return copy.deepcopy(head)
    return fp32_head_from_files(folder, head)


def _split_precision(model: torch.nn.Module, vision: torch.dtype, text: torch.dtype) -> None:
    """Run the vision encoder in ``vision`` and hand its output to the decoder in ``text``."""
    model.vision_model.to(vision)

    def to_text_dtype(_module: torch.nn.Module, _inputs: object, output: object) -> object:
        output.last_hidden_state = output.last_hidden_state.to(text)  # type: ignore[attr-defined]
        return output

    model.vision_model.register_forward_hook(to_text_dtype)


def _keep_imported() -> None:
    """Take what is loaded so far (PyTorch, transformers: a few million objects that live as long as the process)
    out of the garbage collector's full passes before the model loads. The collection that follows a load then
    walks only the model's own objects: it walked everything imported too and held every thread, the app's GUI
    thread included, for about 0.25 s. (The model itself is not frozen: one dropped must be freed.)"""
    gc.freeze()


def _normalised_rows(pooled: list[torch.Tensor], count: int) -> np.ndarray | None:
    """The pooled vectors of one encoder pass over ``count`` images, L2-normalised; ``None`` if there was not
    exactly one such pass (the vectors could not be matched to the images)."""
    if not count:
        return np.zeros((0, 0), dtype=np.float32)
    if len(pooled) != 1 or pooled[0].shape[0] != count:
        log.warning("the vision encoder's pooled output was not seen once for %d images; no vectors kept", count)
        return None
    vectors = torch.nn.functional.normalize(pooled[0], dim=-1)
    return vectors.numpy().astype(np.float32, copy=False)


def _size_field(size: object, name: str) -> int | None:
    """A field of a processor's size (a dict in some transformers versions, a SizeDict in others)."""
    return size.get(name) if isinstance(size, dict) else getattr(size, name, None)


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" bar; the download bar (shown before) is the one users need."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
