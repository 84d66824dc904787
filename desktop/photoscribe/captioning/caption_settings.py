"""How captions are generated (the user's prompt, length and beams); no PyTorch here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaptionSettings:
    """How captions are generated. ``None`` keeps the model's own default."""

    prompt: str = ""
    max_length: int | None = None  # most tokens the model may add to the prompt
    num_beams: int | None = None

    def generate_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``model.generate``."""
        kwargs: dict[str, object] = {"do_sample": False}
        if self.max_length is not None:
            kwargs["max_new_tokens"] = self.max_length
        if self.num_beams is not None:
            kwargs["num_beams"] = self.num_beams
        return kwargs
