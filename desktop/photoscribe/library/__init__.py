"""The photo library: SQLAlchemy models in SQLite, the Library API and full-text search.

Nothing here reads photo files (that is ``photoscribe.ingest``) or imports imaging, metadata or captioning.
"""

from photoscribe.library.leases import LeaseOwner
from photoscribe.library.library import Library
from photoscribe.library.models import KeywordSource, PhotoStatus
from photoscribe.library.paths import display_path, normalise, path_key
from photoscribe.library.records import (
    CaptionResult,
    ClaimedPhoto,
    FileDetails,
    FolderRecord,
    KnownFile,
    LibraryStats,
    MatchKind,
    PhotoFacts,
    PhotoFilter,
    PhotoRecord,
    Registration,
    SearchHit,
    SortOrder,
)

__all__ = [
    "CaptionResult",
    "ClaimedPhoto",
    "FileDetails",
    "FolderRecord",
    "KeywordSource",
    "KnownFile",
    "LeaseOwner",
    "Library",
    "LibraryStats",
    "MatchKind",
    "PhotoFacts",
    "PhotoFilter",
    "SortOrder",
    "PhotoRecord",
    "PhotoStatus",
    "Registration",
    "SearchHit",
    "display_path",
    "normalise",
    "path_key",
]
