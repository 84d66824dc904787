"""The detail panel: preview, editable caption and keywords, file facts, provenance, failure reason, actions.

The caption box is never overwritten while it holds text the user typed: a refresh of the same photo (a caption
arriving, a keyword saved) updates everything else and keeps the box's text and cursor until the library holds
that text. :meth:`DetailPanel.pending_caption` tells the window what is typed but not saved yet.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photoscribe.gui import theme
from photoscribe.gui.fitted_preview import FittedPreview
from photoscribe.gui.keyword_chips import AppUndoWhenNothingToUndo, KeywordChips
from photoscribe.gui.photo_model import badge, companion, pair_label
from photoscribe.gui.reveal import show_in_folder
from photoscribe.library import PhotoRecord


class DetailPanel(QWidget):
    """Shows one photo; emits what the user asks for, the window does the (background) work."""

    caption_edited = Signal(str, str)  # path, new caption ("" = back to the model's)
    keywords_edited = Signal(str, list)  # path, keywords ([] = back to the model's)
    recaption_requested = Signal(str, object)  # path, one-off prompt (None: the settings' prompt)
    similar_requested = Signal(str)  # path: show the photos that look like it
    accept_requested = Signal()  # the photos selected are reviewed: go to the next one

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: PhotoRecord | None = None
        self._saved_text = ""  # the caption in force when the box was last loaded from the library
        self.preview = FittedPreview("Select a photo")  # as wide as the panel
        self.status = QLabel()
        self.selection = QLabel(wordWrap=True)  # how many photos the actions apply to, when more than one
        self.selection.hide()
        self.caption = QPlainTextEdit()
        self.caption.setPlaceholderText("No caption yet")
        self.caption.setFixedHeight(80)
        self.caption.installEventFilter(AppUndoWhenNothingToUndo(self.caption))
        self.accept = QPushButton("Accept")
        self.accept.setToolTip("The caption and keywords are right: mark the photo reviewed, go to the next (Enter)")
        self.save_caption = QPushButton("Save caption")
        self.use_model = QPushButton("Use model's caption")
        self.keywords = KeywordChips()
        self.error = QLabel(wordWrap=True)
        theme.watch(self.error, lambda colours: self.error.setStyleSheet(f"color: {colours.error}"))
        self.facts = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.provenance = QLabel(wordWrap=True)
        self.recaption = QPushButton("Re-caption")
        self.recaption_prompt = QPushButton("With prompt…")
        self.recaption_prompt.setToolTip('Re-caption once, continuing a text such as "a photography of"')
        self.open_file = QPushButton("Open")
        self.show_folder = QPushButton("Show in folder")
        self.find_similar = QPushButton("Find similar")
        self.find_similar.setToolTip("Show the photos that look most like this one (also finds near-duplicates)")
        self._layout()
        self._connect()
        self.show_record(None)

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept)
        buttons.addWidget(self.save_caption)
        buttons.addWidget(self.use_model)
        actions, files = QHBoxLayout(), QHBoxLayout()  # (two rows: the panel stays narrower than the grid)
        for row, row_buttons in (
            (actions, (self.recaption, self.recaption_prompt, self.find_similar)),
            (files, (self.open_file, self.show_folder)),
        ):
            for button in row_buttons:
                row.addWidget(button)
        form = QFormLayout()
        form.addRow("Keywords", self.keywords)
        form.addRow("File", self.facts)
        form.addRow("Made by", self.provenance)
        layout = QVBoxLayout(self)
        parts = (self.preview, self.status, self.selection, self.caption, buttons, self.error, form, actions, files)
        for item in parts:
            layout.addLayout(item) if isinstance(item, (QHBoxLayout, QFormLayout)) else layout.addWidget(item)
        layout.addStretch(1)

    def _connect(self) -> None:
        self.save_caption.clicked.connect(self._save_caption)
        self.use_model.clicked.connect(self._use_model_caption)
        self.keywords.changed.connect(self._save_keywords)
        self.recaption.clicked.connect(lambda: self.record and self.recaption_requested.emit(self.record.path, None))
        self.recaption_prompt.clicked.connect(self.ask_prompt)
        self.accept.clicked.connect(self.accept_requested)
        self.open_file.clicked.connect(lambda: self.record and _open(Path(self.record.path)))
        self.show_folder.clicked.connect(lambda: self.record and show_in_folder(self.record.path))
        self.find_similar.clicked.connect(lambda: self.record and self.similar_requested.emit(self.record.path))

    def show_record(self, record: PhotoRecord | None, thumbnail: QImage | None = None) -> None:
        """Show ``record`` (``None`` clears the panel). For the photo already shown, text typed in the caption box
        and not saved yet stays as it is (with its cursor); everything else is refreshed."""
        same_photo = record is not None and self.record is not None and record.path == self.record.path
        keep_typing = same_photo and self.is_editing()
        self.record = record
        for widget in (
            self.caption,
            self.keywords,
            self.accept,
            self.save_caption,
            self.use_model,
            self.recaption,
            self.recaption_prompt,
            self.find_similar,
            self.open_file,
            self.show_folder,
        ):
            widget.setEnabled(record is not None)
        if record is None:
            self.preview.show_image(None, "Select a photo")
            for label in (self.status, self.error, self.facts, self.provenance):
                label.clear()
            self._saved_text = ""
            self.caption.clear()
            self.keywords.set_keywords([])
            return
        if thumbnail is not None or not same_photo:
            self.show_preview(thumbnail)
        self.status.setText(_title(record))
        self._saved_text = record.caption or ""
        if not same_photo or (not keep_typing and self.caption.toPlainText() != self._saved_text):
            self.caption.setPlainText(self._saved_text)  # (also clears the box's own undo history)
        self.use_model.setEnabled(record.user_caption is not None)
        self.keywords.set_keywords(record.keywords)
        self.error.setText(f"Could not be captioned: {record.error}" if record.error else "")
        self.error.setVisible(bool(record.error))  # (no empty band)
        self.facts.setText(_facts(record))
        self.provenance.setText(_provenance(record))

    def show_preview(self, thumbnail: QImage | None, missing: str = "loading…") -> None:
        """Show the shown photo's thumbnail (``None``: show the text ``missing`` instead)."""
        self.preview.show_image(thumbnail, missing)

    def is_editing(self) -> bool:
        """True while the caption box holds text that differs from the caption in force."""
        return self.record is not None and self.caption.toPlainText().strip() != self._saved_text.strip()

    def pending_caption(self) -> tuple[str, str] | None:
        """``(path, text)`` when typed text waits to be saved (an emptied box is not saved automatically: the
        photo cannot be without a caption, *Use model's caption* says what to show instead)."""
        if self.record is None or not self.is_editing():
            return None
        text = self.caption.toPlainText().strip()
        return (self.record.path, text) if text else None

    def show_selection(self, count: int) -> None:
        """Say that keyword edits, Re-caption, With prompt… and Accept apply to ``count`` photos (when over 1)."""
        self.selection.setText(f"<b>{count:,} photos selected</b>: keyword edits, Re-caption and Accept apply to all")
        self.selection.setVisible(count > 1)

    def ask_prompt(self) -> None:
        """Ask for a prompt and re-caption with it (the window applies it to every photo selected)."""
        if self.record is None:
            return
        prompt, ok = QInputDialog.getText(
            self, "Re-caption with a prompt", "The caption starts with:", text="a photography of"
        )
        if ok and prompt.strip():
            self.recaption_requested.emit(self.record.path, prompt.strip())

    def _save_caption(self) -> None:
        text = self.caption.toPlainText().strip()
        if not text:  # an emptied box: back to the model's caption, shown once it is saved
            self.caption.setPlainText(self._saved_text)
        self._emit_caption(text)

    def _use_model_caption(self) -> None:
        self.caption.setPlainText(self._saved_text)  # typed text is dropped on purpose: the refresh replaces it
        self._emit_caption("")

    def _emit_caption(self, text: str) -> None:
        if self.record is not None:
            self.caption_edited.emit(self.record.path, text)

    def _save_keywords(self, words: list[str]) -> None:
        if self.record is not None and tuple(words) != self.record.keywords:
            self.keywords_edited.emit(self.record.path, words)


def _title(record: PhotoRecord) -> str:
    """The file name (both, for a RAW+JPEG pair) and the photo's state, as rich text."""
    names = [html.escape(Path(p).name) for p in (record.path, companion(record)) if p]
    pair = f" &nbsp; ({pair_label(record)})" if len(names) > 1 else ""
    state = badge(record) or ("captioned, to review" if record.to_review else "captioned")
    return f"<b>{' + '.join(names)}</b>{pair} &nbsp; {state}"


def _facts(record: PhotoRecord) -> str:
    size = f"{record.size / 1_000_000:.1f} MB" if record.size >= 1_000_000 else f"{record.size / 1000:.0f} kB"
    raw = companion(record)
    parts = [record.path, *([f"RAW: {raw}"] if raw else []), size]
    if record.width and record.height:
        parts.append(f"{record.width} × {record.height}")
    if record.taken_at:
        parts.append(f"taken {record.taken_at:%Y-%m-%d %H:%M}")
    if record.camera:
        parts.append(record.camera)
    return "\n".join(parts)


def _provenance(record: PhotoRecord) -> str:
    if record.model_caption is None:
        return "not captioned yet"
    settings = record.settings or {}
    text = f"{record.model_ref} ({settings.get('hardware', '?')})"
    if settings.get("prompt"):
        text += f', prompt "{settings["prompt"]}"'
    if record.user_caption is None and record.file_caption is not None:
        text += "\nthe caption in force came with the file (its metadata or sidecar)"
    if record.caption != record.model_caption:
        text += f"\nmodel's caption: {record.model_caption}"
    return text


def _open(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
