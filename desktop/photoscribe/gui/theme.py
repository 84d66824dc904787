"""The app's colours, one place for each: a light and a dark set, chosen by the application palette's lightness
(so the app follows the system's light or dark scheme), and :func:`watch` to hear when the scheme changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QGuiApplication, QPalette


@dataclass(frozen=True, slots=True)
class Colours:
    """One colour scheme (QColors made once: painting looks them up without allocating)."""

    grid: str  # the grid's background
    cell: QColor
    selected: QColor
    text: QColor
    dim: QColor
    banner: str
    banner_text: str
    error: str
    chip: str
    chip_text: str
    chip_hover: str


DARK = Colours(
    "#1e2023", QColor("#26292c"), QColor("#2f80ed"), QColor("#f2f2f2"), QColor("#6b7075"),
    "#5c2626", "#ffffff", "#ef6b6b", "#3b6ea5", "#ffffff", "#d64545",
)  # fmt: skip
LIGHT = Colours(
    "#f4f5f7", QColor("#ffffff"), QColor("#bcd6fa"), QColor("#1c1e21"), QColor("#9aa0a6"),
    "#f8d7d7", "#5c1a1a", "#b42323", "#d5e4f5", "#17375e", "#f4c2c2",
)  # fmt: skip


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's) is a dark one."""
    palette = QGuiApplication.palette() if palette is None else palette
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def current() -> Colours:
    """The colours for the application palette now."""
    return DARK if is_dark() else LIGHT


class _Watcher(QObject):
    """Calls its callbacks when the application palette changes (the system switched scheme)."""

    def __init__(self, app: QGuiApplication) -> None:
        super().__init__(app)
        self.callbacks: list[Callable[[Colours], object]] = []
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ApplicationPaletteChange and watched is QGuiApplication.instance():
            colours = current()
            for callback in list(self.callbacks):
                callback(colours)
        return False


def watch(owner: QObject, callback: Callable[[Colours], object]) -> None:
    """Call ``callback(colours)`` now and whenever the application palette changes, while ``owner`` lives."""
    app = QGuiApplication.instance()
    watcher = app.findChild(_Watcher) if app is not None else None
    if app is not None and watcher is None:
        watcher = _Watcher(app)  # type: ignore[arg-type]
    callback(current())
    if watcher is not None:
        watcher.callbacks.append(callback)
        owner.destroyed.connect(lambda *_: callback in watcher.callbacks and watcher.callbacks.remove(callback))
