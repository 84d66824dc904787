"""The Help menu: About shows the real versions, the caption model, device and precision the engine reports and
where the data lives, without importing PyTorch; Troubleshooting shows the README's section (shipped in the package,
kept identical to the README here) and Working offline goes to its entry on copying the model."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import qVersion  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402

import photoscribe  # noqa: E402
from photoscribe.config import config_path  # noqa: E402
from photoscribe.gui.help_menu import (  # noqa: E402
    OFFLINE_ENTRY,
    AboutDialog,
    HelpMenu,
    TroubleshootingDialog,
    troubleshooting_text,
)
from photoscribe.gui.main_window import MainWindow  # noqa: E402
from tests.gui.common import WAIT_MS  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(photoscribe.__file__).parent


def help_action(window: MainWindow, text: str) -> QAction:
    """The Help menu's action called ``text`` (as the user sees the menu bar)."""
    bar_actions = window.menuBar().actions()
    assert [a.text() for a in bar_actions][-1] == "&Help"  # the last menu, whatever was added after it
    return next(a for a in bar_actions[-1].menu().actions() if a.text().replace("&", "") == text)


def about(window: MainWindow) -> dict[str, str]:
    help_action(window, "About PhotoScribe").trigger()
    dialog = window.findChild(HelpMenu).dialogs[AboutDialog]
    assert dialog.isVisible()
    return {name: label.text() for name, label in dialog.values.items()}


def test_troubleshooting_text_is_the_readme_section() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Troubleshooting\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section is not None
    assert troubleshooting_text().strip() == section.group(1).strip(), (
        "desktop/photoscribe/gui/troubleshooting.md must be the README's Troubleshooting section: copy it over"
    )
    assert OFFLINE_ENTRY in section.group(1)
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["photoscribe"]
    shipped = (PACKAGE / "gui" / "troubleshooting.md").relative_to(PACKAGE).as_posix()
    assert any(fnmatch.fnmatch(shipped, pattern) for pattern in patterns), "the wheel would not hold the text"


def test_troubleshooting_and_working_offline(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    help_action(window, "Troubleshooting").trigger()
    dialog = window.findChild(HelpMenu).dialogs[TroubleshootingDialog]
    assert dialog.isVisible()
    text = dialog.browser.toPlainText()
    assert "the system ran out of file watches" in text and "photoscribe search -- -dog beach" in text
    help_action(window, "Working offline").trigger()
    offline = window.findChild(HelpMenu).dialogs[TroubleshootingDialog]
    assert [d for d in window.findChildren(TroubleshootingDialog) if d.isVisible()] == [offline]  # one at a time
    assert offline.browser.textCursor().selectedText() == OFFLINE_ENTRY
    assert offline.browser.verticalScrollBar().value() > 0  # scrolled down to the entry...
    assert offline.browser.viewport().rect().contains(offline.browser.cursorRect())  # ...which is in view
    assert "--model /path/to/folder" in offline.browser.toPlainText()
    offline.browser.verticalScrollBar().setValue(0)
    offline.offline_link.linkActivated.emit("#offline")  # the link at the top goes there too
    assert offline.browser.verticalScrollBar().value() > 0


def test_about_shows_versions_model_device_and_places(qtbot, open_window, colour_photos, tiny_model_dir) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    shown = about(window)
    expected = {
        "PhotoScribe": importlib.metadata.version("photoscribe"),
        "Python": platform.python_version(),
        "PyTorch": importlib.metadata.version("torch"),
        "Transformers": importlib.metadata.version("transformers"),
    }
    assert {name: shown[name] for name in expected} == expected
    assert shown["PhotoScribe"] == photoscribe.__version__
    assert shown["PySide6"] == f"{importlib.metadata.version('PySide6-Essentials')} (Qt {qVersion()})"
    assert shown["Caption model"] == f"{tiny_model_dir} (not loaded yet)"
    assert shown["Device and precision"] == "chosen when the model loads (settings: device auto, precision fp32)"
    assert shown["Library"] == str(window.library.path)
    assert shown["Settings"] == str(config_path())
    assert shown["Thumbnails"] == str(window.thumbnails.folder)

    photo = colour_photos["red"][0]
    window.add_folder(str(photo.parent))
    qtbot.waitUntil(lambda: window.library.stats().captioned == 8, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.findChild(HelpMenu).hardware is not None, timeout=WAIT_MS)
    made_by = window.library.photo(str(photo))
    assert made_by is not None and made_by.settings is not None
    shown = about(window)
    assert shown["Caption model"] == made_by.model_ref == str(tiny_model_dir)
    assert shown["Device and precision"] == made_by.settings["hardware"]  # e.g. "cpu fp32", as the engine used


def test_about_does_not_import_torch(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, os, sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from photoscribe.config import Settings
        from photoscribe.engine import Engine
        from photoscribe.gui.help_menu import HelpMenu
        from photoscribe.gui.main_window import MainWindow
        engine = Engine(Settings(library=sys.argv[1], model=sys.argv[2], text_model=""))
        window = MainWindow(engine)
        before = "torch" in sys.modules
        dialog = window.findChild(HelpMenu).show_about()
        shown = {name: label.text() for name, label in dialog.values.items()}
        print(json.dumps({"before": before, "after": "torch" in sys.modules, "shown": shown}))
        sys.stdout.flush()
        os._exit(0)  # (the engine was never started: nothing to stop)
        """
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PHOTOSCRIBE_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": os.pathsep.join([str(PACKAGE.parent), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "l.sqlite3"), str(tmp_path / "no-model")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] is False, "the window alone imported torch: this test can no longer tell"
    assert result["after"] is False, "the About box imported torch"
    assert result["shown"]["PyTorch"] == importlib.metadata.version("torch")
