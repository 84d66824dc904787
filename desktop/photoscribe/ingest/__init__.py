"""Finding photos: scanning folders, reconciling them with the library, and watching them."""

from photoscribe.ingest.reconcile import reconcile
from photoscribe.ingest.registration import register_files
from photoscribe.ingest.scanner import ScanTarget, expand_targets, iter_photos
from photoscribe.ingest.settle import SettleTracker
from photoscribe.ingest.watcher import FolderWatcher, WatchSink

__all__ = [
    "FolderWatcher",
    "ScanTarget",
    "SettleTracker",
    "WatchSink",
    "expand_targets",
    "iter_photos",
    "reconcile",
    "register_files",
]
