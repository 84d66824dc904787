"""The app follows the system's light or dark scheme: its colours come from the application palette, and a switch
while it runs repaints the grid, the keyword chips and the banner in the new colours."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtGui import QColor, QImage, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from photoscribe.gui.photo_delegate import CELL_ROLE  # noqa: E402
from photoscribe.library import Library  # noqa: E402
from tests.gui.common import close_window, fill_library  # noqa: E402
from tests.gui.test_large import window_on  # noqa: E402


def palette(dark: bool) -> QPalette:
    """A light or dark application palette, as the system would set."""
    result = QPalette(QColor("#202124") if dark else QColor("#f0f0f0"))
    result.setColor(QPalette.ColorRole.WindowText, QColor("white" if dark else "black"))
    return result


@pytest.fixture
def scheme(qtbot):  # type: ignore[no-untyped-def]
    """Sets the application palette (light or dark); the original is restored afterwards."""
    app = QApplication.instance()
    original = QPalette(app.palette())
    yield lambda dark: app.setPalette(palette(dark))
    app.setPalette(original)


def lightness(image: QImage, x: int, y: int) -> int:
    return image.pixelColor(x, y).lightness()


def caption_extreme(image: QImage, rect, dark_text: bool) -> int:  # type: ignore[no-untyped-def]
    """The darkest (or lightest) pixel's lightness in the caption band of the cell at ``rect``."""
    ratio = image.devicePixelRatio()
    values = [
        lightness(image, round(x * ratio), round(y * ratio))
        for x in range(rect.left() + 10, rect.right() - 10)
        for y in range(rect.bottom() - 50, rect.bottom() - 10)
    ]
    return min(values) if dark_text else max(values)


def grid_colours(window) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """The grid's background lightness (outside the cells), the cell's, and its caption text's extreme."""
    grid = window.grid
    image = grid.viewport().grab().toImage()
    rect = grid.visualRect(window.model.index(0, 0))
    ratio = image.devicePixelRatio()
    background = lightness(image, round((rect.left() + 1) * ratio), round((rect.top() + 1) * ratio))
    cell = lightness(image, round((rect.left() + 8) * ratio), round((rect.bottom() - 6) * ratio))
    text = caption_extreme(image, rect, dark_text=cell > 128)
    return background, cell, text


def banner_lightness(window) -> int:  # type: ignore[no-untyped-def]
    banner = window.status_area.banner
    image = banner.grab().toImage()
    return lightness(image, 3, image.height() // 2)


def chip_lightness(window) -> int:  # type: ignore[no-untyped-def]
    chips = window.details.keywords.chips
    rect = chips.visualItemRect(chips.item(0))
    image = chips.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    return lightness(image, round((rect.left() + 6) * ratio), round(rect.center().y() * ratio))


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_model_dir: Path, scheme):  # type: ignore[no-untyped-def]
    library = Library(tmp_path / "l.sqlite3")
    for path in fill_library(library, 20):
        library.set_user_caption(path, "a red wall beside a blue car under a cloudy sky")
    scheme(False)
    window = window_on(qtbot, library, tiny_model_dir)
    qtbot.waitUntil(lambda: window.model.index(0).data(CELL_ROLE) is not None)
    window.status_area.banner.show_error("the model cannot load")
    window.details.keywords.set_keywords(["harbour", "boats"])
    window.details.keywords.show()
    yield window
    close_window(qtbot, window)
    library.close()


def test_a_light_palette_paints_a_light_grid_with_dark_captions(window, scheme) -> None:  # type: ignore[no-untyped-def]
    background, cell, text = grid_colours(window)
    assert background > 200 and cell > 200
    assert text < 80  # dark caption text on the light cell


def test_a_dark_palette_paints_a_dark_grid_with_light_captions(window, scheme) -> None:  # type: ignore[no-untyped-def]
    scheme(True)
    background, cell, text = grid_colours(window)
    assert background < 60 and cell < 60
    assert text > 180  # light caption text on the dark cell


def test_switching_scheme_while_open_repaints_grid_chips_and_banner(window, scheme, qtbot) -> None:  # type: ignore[no-untyped-def]
    light = grid_colours(window), chip_lightness(window), banner_lightness(window)
    scheme(True)
    dark = grid_colours(window), chip_lightness(window), banner_lightness(window)
    assert dark[0][0] < 60 < 200 < light[0][0]  # grid background
    assert dark[0][2] > 180 > 80 > light[0][2]  # caption text
    assert dark[1] < light[1] - 60  # chips
    assert dark[2] < light[2] - 60  # banner
    scheme(False)
    assert grid_colours(window)[0] > 200 and chip_lightness(window) > dark[1] + 60  # and back again
