"""Make the README's screenshots offscreen: the main window on a captioned folder, and a search.

Uses the tiny test captioner (it knows plain colour walls only), so it runs anywhere without a download:

    QT_QPA_PLATFORM=offscreen python packaging/screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OUT = ROOT / "resources" / "screenshots"


def main() -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from photoscribe.config import Settings
    from photoscribe.engine import Engine
    from photoscribe.gui.main_window import MainWindow
    from tests.tiny_blip import COLOURS, build_tiny_blip, colour_image

    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PHOTOSCRIBE_DATA_DIR"] = tmp
        model = build_tiny_blip(Path(tmp, "model"))
        folder = Path(tmp, "Pictures", "2026-06 Studio walls")
        folder.mkdir(parents=True)
        for i in range(14):
            colour_image(list(COLOURS)[i % 4], size=(480, 320), jitter=30).save(folder / f"DSC_{4100 + i}.jpg")
        (folder / "DSC_4199.jpg").write_bytes(b"")  # one broken file, to show how failures look
        engine = Engine(Settings(library=str(Path(tmp, "library.sqlite3")), model=str(model), settle_seconds=0.2))
        window = MainWindow(engine)
        window.resize(1280, 800)
        window.show()
        engine.start()
        window.add_folder(str(folder))

        def when(condition, then, tries: int = 600) -> None:  # type: ignore[no-untyped-def]
            if condition() or tries == 0:
                then()
            else:
                QTimer.singleShot(50, lambda: when(condition, then, tries - 1))

        def edited() -> None:
            window.grid.setCurrentIndex(window.model.index(2))
            colour = (window.model.record(2).caption or "").split()[-2]
            window.edit_caption(window.model.record(2).path, f"The {colour} wall of studio 2, before painting")
            QTimer.singleShot(1500, main_window)

        def main_window() -> None:
            window.grid.setCurrentIndex(window.model.index(2))
            QTimer.singleShot(500, lambda: (window.grab().save(str(OUT / "main-window.png")), search()))

        def search() -> None:
            window.search.setText("red")
            QTimer.singleShot(1200, lambda: (window.grab().save(str(OUT / "search.png")), window.close(), app.quit()))

        when(lambda: engine.library.stats().captioned == 14 and window.model.rowCount() == 15, edited)
        app.exec()
        engine.library.close()
    print(f"saved {OUT / 'main-window.png'} and {OUT / 'search.png'}")


if __name__ == "__main__":
    main()
