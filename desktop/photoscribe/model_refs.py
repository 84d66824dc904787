"""How a model is named (a Hub id or a folder) and the advice given when it cannot be found: pure rules, no
PyTorch, so the app's first-run screen can use them before any model code is imported."""

from __future__ import annotations

OFFLINE_HINT = (
    "Connect to the internet once so PhotoScribe can download it (about 1 GB), or point --model "
    "(or PHOTOSCRIBE_MODEL) at a local folder holding a copy saved with save_pretrained."
)


def looks_like_path(model_ref: str) -> bool:
    """True when ``model_ref`` is meant as a folder rather than a Hub id like ``owner/name``."""
    return (
        model_ref.startswith(("/", ".", "~", "\\"))
        or "\\" in model_ref
        or (len(model_ref) > 1 and model_ref[1] == ":")
        or model_ref.count("/") > 1
    )
