"""Check metadata writing on your own photos, without touching them.

Copies a folder's photos to a temporary folder, writes a test caption and keywords into each copy (or its
sidecar) exactly as PhotoScribe does, reads every copy back with a separate exiftool process, and reports
files written, fields verified, and files left unchanged with the reason. The originals are only read.

    python benchmarks/check_metadata.py ~/Pictures/some-folder [--mode embed|sidecar] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))

from photoscribe.ingest import iter_photos  # noqa: E402
from photoscribe.metadata import MetadataWriter, WriteOptions  # noqa: E402
from photoscribe.metadata.exiftool import ExifTool  # noqa: E402

CAPTION = "PhotoScribe test caption: Grand-mère au jardin ✓"
KEYWORDS = ["photoscribe-test", "jardin"]
CAPTION_FIELDS = ("XMP-dc:Description", "IPTC:Caption-Abstract", "IFD0:ImageDescription", "IFD0:XPComment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--mode", choices=("embed", "sidecar"), default="embed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = check(args.folder, args.mode)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"{report['files']} files: {report['written']} written, {report['fields_verified']} fields verified")
    for name, reason in report["left_unchanged"].items():
        print(f"  left unchanged: {name}: {reason}")


def check(folder: Path, mode: str) -> dict[str, object]:
    """Write into copies of ``folder``'s photos and verify each with an independent exiftool read."""
    written, verified, refused = 0, 0, {}
    photos = list(iter_photos(folder))
    with tempfile.TemporaryDirectory() as tmp, ExifTool() as exiftool:
        writer = MetadataWriter(exiftool, WriteOptions(mode))
        for photo in photos:
            copy = Path(tmp, photo.relative_to(folder))
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(photo, copy)  # a writable copy even of read-only originals
            outcome = writer.write(copy, CAPTION, KEYWORDS)
            if not outcome.written:
                refused[str(photo.relative_to(folder))] = outcome.reason
                continue
            written += 1
            tags = _read(outcome.target)
            fields = CAPTION_FIELDS if outcome.target == copy else CAPTION_FIELDS[:1]
            verified += sum(tags.get(f) == CAPTION for f in fields)
    return {"files": len(photos), "written": written, "fields_verified": verified, "left_unchanged": refused}


def _read(path: Path) -> dict[str, object]:
    out = subprocess.run(["exiftool", "-j", "-G1", "-n", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]


if __name__ == "__main__":
    main()
