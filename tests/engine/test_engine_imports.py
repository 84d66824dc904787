"""The app's window shows before PyTorch is imported: the engine imports the captioning code (and torch with it)
on its caption thread, when it loads a model (issue 12: PyTorch was 2 of the 3.6 s before the window showed)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_engine_and_the_app_import_without_torch() -> None:
    code = (
        "import sys; import photoscribe.engine, photoscribe.gui.app, photoscribe.gui.main_window; "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]"
