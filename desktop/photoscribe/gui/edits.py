"""The photographer's edits: saved in order on one writer thread, undoable, and written into the photo when
metadata writing is on.

Captions and keywords are separate edits (a caption edit never touches keywords), each one a command on the
window's :class:`QUndoStack`, so Ctrl+Z takes back either. Keywords added to or removed from many photos at once
(a selection in the grid) are one edit: one library call per few hundred photos, undone as a whole.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from photoscribe.engine import Engine
from photoscribe.gui.tasks import TaskRunner
from photoscribe.library import PhotoRecord

log = logging.getLogger(__name__)


class Edits(QObject):
    """Saves captions and keywords; ``saved(path, error)`` fires on the GUI thread once a save is done."""

    saved = Signal(str, object)  # path, None or the error that stopped the save
    not_written = Signal(str, str)  # path, why the edit did not reach the photo's metadata

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.library = engine.library
        self.undo = QUndoStack(self)
        self.writes = TaskRunner(1, "save", self)  # one writer thread: edits are applied in order
        self._captions: dict[str, str | None] = {}  # the user caption a photo has once its queued saves are done
        self._keywords: dict[str, tuple[str, ...]] = {}  # likewise its keywords
        self._queued: Counter[str] = Counter()  # saves queued per photo

    def edit_caption(self, path: str, text: str) -> None:
        """Save ``text`` as the user's caption of ``path`` ("" goes back to the model's caption); undoable."""
        after = text.strip() or None
        before = self._captions[path] if path in self._captions else self._record_value(path, "user_caption")
        if before is _UNKNOWN or before == after:
            return
        name = Path(path).name
        self.undo.push(_Edit(f"edit caption of {name}", lambda v: self.apply_caption(path, v), before, after))

    def edit_keywords(self, path: str, words: list[str]) -> None:
        """Save ``words`` as the photo's keywords (they replace the model's); undoable."""
        after = tuple(words)
        before = self._keywords[path] if path in self._keywords else self._record_value(path, "keywords")
        if before is _UNKNOWN or before == after:
            return
        name = Path(path).name
        self.undo.push(_Edit(f"edit keywords of {name}", lambda v: self.apply_keywords(path, v), before, after))

    def change_keywords(
        self, photo_ids: list[int], add: list[str], remove: list[str], shown: tuple[str, tuple[str, ...]] | None
    ) -> None:
        """Add and remove keywords on many photos at once (one undoable edit). ``shown``: the path and keywords of
        the photo the window shows (it shows the change at once); ``saved`` fires with that path when it is done."""
        if not photo_ids or not (add or remove):
            return
        words = [*(f"+{w}" for w in add), *(f"-{w}" for w in remove)]
        text = f"keywords {' '.join(words)} on {len(photo_ids):,} photos"
        self.undo.push(_ManyKeywords(self, text, photo_ids, add, remove, shown))

    def apply_caption(self, path: str, caption: str | None) -> None:
        """Store a user caption in the background (no undo entry)."""
        self._captions[path] = caption
        self._save(path, lambda: self.library.set_user_caption(path, caption))

    def apply_keywords(self, path: str, words: tuple[str, ...]) -> None:
        """Store the photo's keywords in the background (no undo entry)."""
        self._keywords[path] = words
        self._save(path, lambda: self.library.set_user_keywords(path, list(words)))

    def expected(self, record: PhotoRecord) -> PhotoRecord:
        """``record`` as it will be once the edits queued for it are saved (what the window should show)."""
        if record.path in self._captions:
            record = dataclasses.replace(record, user_caption=self._captions[record.path])
        if record.path in self._keywords:
            record = dataclasses.replace(record, keywords=self._keywords[record.path])
        return record

    def shutdown(self) -> None:
        """Wait until every queued edit is saved (and written into its photo)."""
        self.writes.shutdown()

    def _save(self, path: str, store: Callable[[], PhotoRecord]) -> None:
        def work() -> None:
            record = store()
            self.engine.embeddings.wake()  # the photo's text changed: its vector for search by meaning too
            if self.engine.settings.write_metadata != "off":
                try:
                    self.engine.write_metadata_for([record.id])
                except Exception as exc:  # the edit is saved; only the write into the photo failed
                    log.exception("writing the edit of %s into the photo failed", path)
                    self.not_written.emit(path, str(exc))

        self._queued[path] += 1
        self.writes.run(work, lambda result, error: self._saved(path, error))

    def save_many(self, path: str, words: tuple[str, ...] | None, store: Callable[[], list[int]]) -> None:
        """Store an edit of many photos in the background; ``path`` (the photo shown, or "") shows ``words`` as its
        keywords until then. The photos changed are written into their files when writing is on."""

        def work() -> None:
            changed = store()
            self.engine.embeddings.wake()
            self.engine.write_metadata_for(changed)  # (when metadata writing is on)

        if path and words is not None:
            self._keywords[path] = words
        self._queued[path] += 1
        self.writes.run(work, lambda result, error: self._saved(path, error))

    def _saved(self, path: str, error: object) -> None:
        self._queued[path] -= 1
        if error is not None or self._queued[path] <= 0:  # the library holds it all now (or what it had)
            del self._queued[path]
            self._captions.pop(path, None)
            self._keywords.pop(path, None)
        self.saved.emit(path, error)

    def _record_value(self, path: str, field: str) -> object:
        record = self.library.photo(path)
        return _UNKNOWN if record is None else getattr(record, field)


_UNKNOWN = object()


class _Edit(QUndoCommand):
    """An undoable change of one value, applied by ``apply(value)``."""

    def __init__(self, text: str, apply: Callable[[object], None], before: object, after: object) -> None:
        super().__init__(text)
        self.apply, self.before, self.after = apply, before, after

    def redo(self) -> None:
        self.apply(self.after)

    def undo(self) -> None:
        self.apply(self.before)


class _ManyKeywords(QUndoCommand):
    """Keywords added to and removed from many photos; undo puts back each photo's keywords as they were."""

    def __init__(
        self,
        edits: Edits,
        text: str,
        photo_ids: list[int],
        add: list[str],
        remove: list[str],
        shown: tuple[str, tuple[str, ...]] | None,
    ) -> None:
        super().__init__(text)
        self.edits, self.photo_ids, self.add, self.remove = edits, photo_ids, add, remove
        self.path, self.shown_before = shown if shown is not None else ("", None)
        self.before: dict[int, tuple[str, ...]] = {}  # set on the writer thread, read there by undo (in order)

    def redo(self) -> None:
        library = self.edits.library

        def store() -> list[int]:
            self.before = library.change_keywords(self.photo_ids, self.add, self.remove)
            return list(self.before)

        self.edits.save_many(self.path, self._shown_after(), store)

    def undo(self) -> None:
        library = self.edits.library

        def store() -> list[int]:
            library.set_keywords_of(self.before)
            return list(self.before)

        self.edits.save_many(self.path, self.shown_before, store)

    def _shown_after(self) -> tuple[str, ...] | None:
        if self.shown_before is None:
            return None
        gone = {word.casefold() for word in self.remove}
        words = [word for word in self.shown_before if word.casefold() not in gone]
        for word in self.add:
            if word.casefold() not in {w.casefold() for w in words}:
                words.append(word)
        return tuple(words)
