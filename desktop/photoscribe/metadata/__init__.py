"""Captions and keywords in the photos' own metadata and XMP sidecars: reading them, and writing them safely."""

from photoscribe.metadata.reader import FileMetadata, read_file_metadata, sidecar_for
from photoscribe.metadata.writer import MetadataWriter, WriteOptions, WriteOutcome

__all__ = ["FileMetadata", "MetadataWriter", "WriteOptions", "WriteOutcome", "read_file_metadata", "sidecar_for"]
