"""Fused attention for BLIP's vision encoder.

transformers' BLIP computes attention eagerly (matmul, scale, softmax, matmul) and refuses
``attn_implementation="sdpa"``. On the CPU that eager attention was two thirds of the vision encoder's time
(a 577-token ViT-B/16 at 384 pixels). PyTorch's ``scaled_dot_product_attention`` computes the same thing in
one fused kernel: in measurements here, 1.8x faster in bf16 and 1.45x in fp32, with fp32 captions identical.
"""

from __future__ import annotations

import logging
import types

import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)

REQUIRED_ATTRIBUTES = ("qkv", "projection", "num_heads", "head_dim", "scale")


def _fused_forward(self: torch.nn.Module, hidden_states: torch.Tensor, **_: object) -> tuple[torch.Tensor, None]:
    """BlipAttention.forward with one fused attention call (inference: no dropout, no attention weights)."""
    batch, tokens, width = hidden_states.size()
    qkv = self.qkv(hidden_states).reshape(batch, tokens, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
    context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], scale=self.scale)
    return self.projection(context.transpose(1, 2).reshape(batch, tokens, width)), None


def use_fused_attention(model: torch.nn.Module) -> int:
    """Switch every BLIP vision attention layer of ``model`` to the fused kernel; returns how many were switched.

    Layers that do not look like transformers' ``BlipAttention`` (another transformers version) are left alone.
    """
    from transformers.models.blip.modeling_blip import BlipAttention

    switched = 0
    for module in model.modules():
        if isinstance(module, BlipAttention) and all(hasattr(module, a) for a in REQUIRED_ATTRIBUTES):
            module.forward = types.MethodType(_fused_forward, module)
            switched += 1
    log.info("fused attention in %d vision layers", switched)
    return switched
