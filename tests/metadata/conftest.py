"""Fixtures of the metadata tests: exiftool, both writer variants, and an oracle independent of the writer."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.metadata import MetadataWriter
from photoscribe.metadata.exiftool import ExifTool, exiftool_path

#: The fields PhotoScribe writes and what exiftool recomputes when it writes: the only tags a write may change.
OUR_TAGS = {
    "XMP-dc:Description",
    "XMP-dc:Subject",
    "IPTC:Caption-Abstract",
    "IPTC:Keywords",
    "IFD0:ImageDescription",
    "IFD0:XPComment",
    "IFD0:XPKeywords",
    "XMP-photoscribe:Keywords",
    "XMP-photoscribe:Caption",
    "IPTC:CodedCharacterSet",
    "IPTC:ApplicationRecordVersion",
    "IPTC:EnvelopeRecordVersion",
    "Photoshop:IPTCDigest",
    "XMP-x:XMPToolkit",
    "SourceFile",
}
#: Pointers to where a block sits in the file, listed by name (found in the samples): they may move when the
#: metadata grows; the blocks they point at are compared by content (``-b``).
POINTERS = {
    "IFD1:ThumbnailOffset",
    "Minolta:PreviewImageStart",
    "Olympus:PreviewImageStart",
    "IFD0:StripOffsets",
    "IFD0:TileOffsets",
}


@pytest.fixture(scope="module")
def exiftool():  # type: ignore[no-untyped-def]
    if exiftool_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("exiftool is missing in CI: .ci/run installs libimage-exiftool-perl")
        pytest.skip("exiftool is not installed")
    with ExifTool() as tool:
        yield tool


@pytest.fixture(params=["exiftool", "builtin"])
def kind(request) -> str:  # type: ignore[no-untyped-def]
    """Each test runs with exiftool writing and with the built-in writer (a machine without exiftool)."""
    return request.param


@pytest.fixture
def make_writer(kind: str, exiftool):  # type: ignore[no-untyped-def]
    return lambda options, **kw: MetadataWriter(exiftool if kind == "exiftool" else None, options, **kw)


def reference_read(path: Path, binary: bool = False) -> dict[str, object]:
    """exiftool in a separate process, as any other program would read the file (``binary``: blocks by content)."""
    args = ["exiftool", "-j", "-a", "-G1", "-n", "-struct", *(["-b"] if binary else []), str(path)]
    out = subprocess.run(args, capture_output=True, text=True)
    return json.loads(out.stdout)[0]


def reference_read_all(paths: list[Path], binary: bool = False) -> dict[Path, dict[str, object]]:
    """:func:`reference_read` for many files in one exiftool run."""
    args = ["exiftool", "-j", "-a", "-G1", "-n", "-struct", *(["-b"] if binary else []), *map(str, paths)]
    out = subprocess.run(args, capture_output=True, text=True)
    return {Path(tags["SourceFile"]): tags for tags in json.loads(out.stdout)}


def comparable(tags: dict[str, object]) -> dict[str, object]:
    """Tags that must survive a write unchanged (read with ``binary=True``): all but ours, file-system facts and
    the listed block pointers. Time-zone offsets and binary blocks are compared like everything else."""
    return {
        k: v
        for k, v in tags.items()
        if k not in OUR_TAGS and k not in POINTERS and not k.startswith(("File:", "System:", "ExifTool:", "Composite:"))
    }


def lost(before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    """Tags of ``before`` that ``after`` lost or changed."""
    return {k: v for k, v in comparable(before).items() if after.get(k) != v}


def pixels(path: Path) -> bytes:
    with Image.open(path) as img:
        return img.tobytes()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(path: Path) -> tuple[str, int]:
    """The file's bytes (as a digest) and mtime: both must stay as they were when a write is refused."""
    return digest(path), path.stat().st_mtime_ns


def copies(samples: Path, tmp_path: Path, *kinds: str) -> list[Path]:
    out = []
    for kind in kinds:
        for source in sorted((samples / kind).glob("*.jpg")):
            target = tmp_path / kind / source.name
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(source, target)  # the samples are read-only; their copies must not be
            out.append(target)
    return out


def as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [] if value is None else [str(value)]


def temporaries(folder: Path) -> list[Path]:
    return list(folder.glob(".*photoscribe-tmp*"))


@pytest.fixture
def mounted():  # type: ignore[no-untyped-def]
    """Mount a small tmpfs (``mounted(folder, "size=600k")``): a real full disk or read-only card. Needs root;
    skipped elsewhere, an error in CI (which runs as root)."""
    mounts: list[Path] = []

    def mount(folder: Path, options: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]
        done = subprocess.run(command, capture_output=True) if shutil.which("mount") else None
        if done is None or done.returncode != 0:
            why = done.stderr.decode(errors="replace").strip() if done is not None else "no mount command"
            reason = f"cannot mount a tmpfs here: {why}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
        mounts.append(folder)
        return folder

    yield mount
    for folder in reversed(mounts):
        subprocess.run(["umount", "-l", str(folder)], check=False)
