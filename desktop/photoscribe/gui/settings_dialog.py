"""The settings dialog: model, device, precision, batch size, prompt, length, settle time, metadata writing, and
the text model of search by meaning."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from photoscribe.config import DEVICES, METADATA_MODES, PRECISIONS, Settings


class SettingsDialog(QDialog):
    """Edits a copy of :class:`Settings`; :meth:`settings` returns the result."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PhotoScribe settings")
        self._original = settings
        self.model = QLineEdit(settings.model)
        self.model.setPlaceholderText("Hugging Face model id or a local folder")
        self.pick_folder: Callable[[QWidget, str], str] = QFileDialog.getExistingDirectory  # (tests set it)
        self.browse_model = QPushButton("Browse…")
        self.browse_model.setToolTip("Choose a folder holding a copy of the caption model")
        self.browse_model.clicked.connect(self._browse_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.browse_model)
        self.device = _combo(DEVICES, settings.device)
        self.precision = _combo(PRECISIONS, settings.precision)
        self.batch_size = _spin(0, 256, settings.batch_size or 0)
        self.batch_size.setSpecialValueText("automatic")
        self.prompt = QLineEdit(settings.prompt)
        self.prompt.setPlaceholderText('optional, e.g. "a photography of"')
        self.max_length = _spin(0, 200, settings.max_length or 0)
        self.max_length.setSpecialValueText("model's default")
        self.settle = QDoubleSpinBox(minimum=0, maximum=600, value=settings.settle_seconds, suffix=" s")
        self.metadata = _combo(METADATA_MODES, settings.write_metadata)
        self.metadata.setToolTip(
            "off: captions stay in the library; sidecar: XMP files next to the photos; "
            "embed: into the photos (verified, originals kept on any doubt; needs exiftool)"
        )
        self.text_model = QLineEdit(settings.text_model)
        self.text_model.setPlaceholderText("empty: search matches words only")
        self.text_model.setToolTip(
            "Search by meaning: a sentence-transformers model id or a local folder (downloaded on first use); "
            "another model embeds every photo again"
        )
        form = QFormLayout(self)
        form.addRow("Model", model_row)
        form.addRow("Device", self.device)
        form.addRow("Precision", self.precision)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Caption prompt", self.prompt)
        form.addRow("Max caption length", self.max_length)
        form.addRow("Wait for new files to settle", self.settle)
        form.addRow("Write captions into photos", self.metadata)
        form.addRow("Text model (search by meaning)", self.text_model)
        form.addRow(QLabel("Changes apply from the next batch; a new model is loaded then."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse_model(self) -> None:
        folder = self.pick_folder(self, "Choose the folder holding the caption model")
        if folder:
            self.model.setText(folder)

    def settings(self) -> Settings:
        """The settings as edited (validated)."""
        edited = dataclasses.replace(
            self._original,
            model=self.model.text().strip() or self._original.model,
            device=self.device.currentText(),
            precision=self.precision.currentText(),
            batch_size=self.batch_size.value() or None,
            prompt=self.prompt.text().strip(),
            max_length=self.max_length.value() or None,
            settle_seconds=self.settle.value(),
            write_metadata=self.metadata.currentText(),
            text_model=self.text_model.text().strip(),
        )
        edited.validate()
        return edited


def _combo(options: tuple[str, ...], current: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(list(options))
    combo.setCurrentText(current)
    return combo


def _spin(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    return spin
