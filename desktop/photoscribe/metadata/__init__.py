"""Captions and keywords in the photos' own metadata and XMP sidecars (reading now; writing comes next)."""

from photoscribe.metadata.reader import FileMetadata, read_file_metadata

__all__ = ["FileMetadata", "read_file_metadata"]
