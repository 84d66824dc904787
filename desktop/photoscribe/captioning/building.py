"""One model built at a time in a process.

transformers sets PyTorch's process-wide default dtype while it builds a model (``local_torch_dtype``) and puts the
previous one back afterwards. The app loads the caption model and the text model on two threads; built at the same
time, one model's layers were made in the other's dtype (a bf16 MiniLM with float32 layers failed every encoding
with "mat1 and mat2 must have the same dtype"), and the default was left changed. Downloads and moving weights to
a device happen outside this lock; only building takes it.
"""

from __future__ import annotations

import threading

BUILDING = threading.Lock()
