"""Linear layers with their weights packed once for oneDNN (CPU, bf16): the text decoder's, and the vision
encoder's first MLP layer with its GELU computed in the same pass.

Each decoding step multiplies a dozen rows (one new token per photo) by every weight matrix of the decoder. PyTorch's
``F.linear`` hands oneDNN the weights in their plain layout, which it lays out again for its AMX kernels on every
call; at a dozen rows that is most of the work. Packed once (``torch.ops.mkldnn._reorder_linear_weight``, what
``torch.compile`` does on the CPU), the same product took 36 instead of 82 us for a 768x768 layer and 232 instead of
345 us for 768x3072 (one thread, 12 rows), with bit-identical results; a batch of 12 captioned in 3.25-3.49 s
instead of 3.48-4.46 s (6 runs each).

The vision encoder's products (6,924 rows for 12 photos) gain nothing from packing, but PyTorch's bf16 GELU after
the first MLP layer took as long as that layer's product itself; oneDNN computes it as the product's results are
written (:func:`fuse_vision_gelu`). Not bit for bit PyTorch's GELU (within one bf16 step), the captions of the
trained stand-in stayed the card's (48 of 48), and the encoder took 1.86-2.25 s instead of 2.16-2.51 s for 12.

Used only where PyTorch has these operations and packing gives ``F.linear``'s exact numbers on this machine (checked
on the first layer at load); otherwise the model is left as it is.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

log = logging.getLogger(__name__)


def _ops() -> tuple[object, object] | None:
    mkldnn = torch.ops.mkldnn
    if not torch.backends.mkldnn.is_available() or not hasattr(mkldnn, "_linear_pointwise"):
        return None
    if not hasattr(mkldnn, "_reorder_linear_weight"):
        return None
    return mkldnn._reorder_linear_weight, mkldnn._linear_pointwise


class PackedLinear(nn.Module):
    """``nn.Linear`` (bf16, CPU, inference) whose weight is packed for oneDNN once; ``rows`` hints the usual rows."""

    def __init__(self, linear: nn.Linear, rows: int, activation: str = "none") -> None:
        super().__init__()
        ops = _ops()
        assert ops is not None
        reorder, self._op = ops
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("packed", reorder(linear.weight.detach(), rows), persistent=False)  # type: ignore[operator]
        self.bias = linear.bias
        self.activation = activation  # "none", or "gelu" (exact, erf): applied as the product is written

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        algorithm = "none" if self.activation == "gelu" else ""
        return self._op(x, self.packed, self.bias, self.activation, [], algorithm)  # type: ignore[operator,no-any-return]


def pack_text_decoder(model: nn.Module, rows: int) -> int:
    """Pack the bf16 linear layers of BLIP's text decoder (not its prediction head, whose output weights are the
    word embeddings'); returns how many were packed (0 where packing is not available or not exact here)."""
    layers = model.text_decoder.bert  # type: ignore[union-attr]
    linears = [(name, m) for name, m in layers.named_modules() if type(m) is nn.Linear]
    if _ops() is None or not linears or any(m.weight.dtype != torch.bfloat16 for _, m in linears):
        return 0
    if any(m.weight.device.type != "cpu" for _, m in linears) or not _exact(linears[0][1], rows):
        return 0
    for name, linear in linears:
        parent_name, _, attribute = name.rpartition(".")
        parent = layers.get_submodule(parent_name) if parent_name else layers
        setattr(parent, attribute, PackedLinear(linear, rows))
    log.info("packed %d text decoder layers for oneDNN", len(linears))
    return len(linears)


def fuse_vision_gelu(model: nn.Module, rows: int) -> int:
    """Compute each vision MLP's first layer and its exact GELU in one oneDNN pass; returns how many were fused (0
    where not available, or where the layers are not bf16 ``nn.Linear`` followed by transformers' exact GELU)."""
    from transformers.activations import GELUActivation

    layers = getattr(getattr(model.vision_model, "encoder", None), "layers", [])  # type: ignore[union-attr]
    mlps = [layer.mlp for layer in layers if hasattr(layer, "mlp")]
    if _ops() is None or not mlps:
        return 0
    for mlp in mlps:
        act = mlp.activation_fn
        exact_gelu = type(act) is GELUActivation and getattr(act, "act", None) is nn.functional.gelu
        if type(mlp.fc1) is not nn.Linear or mlp.fc1.weight.dtype != torch.bfloat16 or not exact_gelu:
            return 0
        if mlp.fc1.weight.device.type != "cpu":
            return 0
    if not _exact(mlps[0].fc1, 16):
        return 0
    for mlp in mlps:
        mlp.fc1, mlp.activation_fn = PackedLinear(mlp.fc1, rows, activation="gelu"), nn.Identity()
    log.info("vision MLP layers with GELU fused: %d", len(mlps))
    return len(mlps)


def _exact(linear: nn.Linear, rows: int) -> bool:
    """True when the packed product gives ``F.linear``'s numbers exactly here."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(rows, 1, linear.in_features, generator=generator).to(linear.weight.dtype)
    with torch.inference_mode():
        try:
            return torch.equal(PackedLinear(linear, rows)(x), linear(x))
        except RuntimeError:  # an operation this build of PyTorch lacks for this layer
            return False
