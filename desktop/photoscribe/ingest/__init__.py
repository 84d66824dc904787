"""Finding photos: scanning folders (and, later, watching them)."""

from photoscribe.ingest.scanner import ScanTarget, expand_targets, iter_photos

__all__ = ["ScanTarget", "expand_targets", "iter_photos"]
