"""The photo library: SQLAlchemy models in SQLite, the Library API and full-text search."""

from photoscribe.library.library import Library
from photoscribe.library.models import PhotoStatus
from photoscribe.library.records import (
    CaptionResult,
    ClaimedPhoto,
    FolderRecord,
    LibraryStats,
    PhotoRecord,
    Registration,
    SearchHit,
)

__all__ = [
    "CaptionResult",
    "ClaimedPhoto",
    "FolderRecord",
    "Library",
    "LibraryStats",
    "PhotoRecord",
    "PhotoStatus",
    "Registration",
    "SearchHit",
]
