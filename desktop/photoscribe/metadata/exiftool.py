"""A persistent exiftool process (``-stay_open``), the reference reader and writer of photo metadata.

Starting Perl and exiftool costs about a quarter of a second; one process kept open serves every read and write.
It knows PhotoScribe's own XMP namespace (``XMP-photoscribe``) through a small config file, used to record which
keywords PhotoScribe wrote so that a re-caption can replace them without touching the photographer's.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from photoscribe.errors import PhotoScribeError

log = logging.getLogger(__name__)

NAMESPACE_URI = "https://photoscribe.invalid/ns/1.0/"
CONFIG = f"""
%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {{
        photoscribe => {{ SubDirectory => {{ TagTable => 'Image::ExifTool::UserDefined::photoscribe' }} }},
    }},
);
%Image::ExifTool::UserDefined::photoscribe = (
    GROUPS => {{ 0 => 'XMP', 1 => 'XMP-photoscribe', 2 => 'Image' }},
    NAMESPACE => {{ 'photoscribe' => '{NAMESPACE_URI}' }},
    WRITABLE => 'string',
    Keywords => {{ List => 'Bag' }},
    Model => {{ }},
);
1;
"""
READY = "{ready}"


class ExifToolError(PhotoScribeError):
    """exiftool is missing, failed to start, or reported an error."""


def exiftool_path() -> str | None:
    """The exiftool executable on the PATH, if installed."""
    return shutil.which("exiftool")


class ExifTool:
    """One ``exiftool -stay_open True -@ -`` process; thread-safe; close it (or use ``with``) when done."""

    def __init__(self, executable: str | None = None) -> None:
        executable = executable or exiftool_path()
        if executable is None:
            raise ExifToolError("exiftool is not installed (see the README: Writing captions into photos)")
        self._config = Path(tempfile.mkstemp(prefix="photoscribe-exiftool-", suffix=".config")[1])
        self._config.write_text(CONFIG, encoding="utf-8")
        self._lock = threading.Lock()
        try:
            self._process = subprocess.Popen(
                [executable, "-config", str(self._config), "-stay_open", "True", "-@", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                encoding="utf-8",
            )
        except OSError as exc:
            raise ExifToolError(f"cannot start exiftool: {exc}") from exc

    def __enter__(self) -> ExifTool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, *args: str) -> tuple[str, str]:
        """Run one exiftool command; returns (stdout, stderr)."""
        assert self._process.stdin and self._process.stdout and self._process.stderr
        with self._lock:
            lines = [*args, "-echo4", READY, "-execute", ""]
            self._process.stdin.write("\n".join(arg.replace("\n", " ") for arg in lines))
            self._process.stdin.flush()
            return _read_until_ready(self._process.stdout), _read_until_ready(self._process.stderr)

    def read(self, path: Path) -> dict[str, object]:
        """Every tag exiftool can read from ``path``, as ``{"Group:Tag": value}`` (numbers as numbers)."""
        out, err = self.run("-j", "-a", "-G1", "-n", "-struct", "-charset", "filename=utf8", str(path))
        if not out.strip():
            raise ExifToolError(f"exiftool could not read {path}: {err.strip() or 'no output'}")
        return json.loads(out)[0]

    def write(self, path: Path, assignments: list[str]) -> None:
        """Apply tag assignments (``-TAG=VALUE``) to ``path`` in place; raises when exiftool reports an error."""
        out, err = self.run(
            "-overwrite_original",
            "-charset",
            "filename=utf8",
            "-charset",
            "iptc=utf8",
            "-codedcharacterset=utf8",
            *assignments,
            str(path),
        )
        if "1 image files updated" not in out and "1 image files unchanged" not in out:
            raise ExifToolError((err.strip() or out.strip() or "exiftool wrote nothing").splitlines()[0])

    def close(self) -> None:
        """Stop the process."""
        if self._process.poll() is None:
            try:
                assert self._process.stdin
                self._process.stdin.write("-stay_open\nFalse\n")
                self._process.stdin.flush()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        self._config.unlink(missing_ok=True)


def _read_until_ready(stream) -> str:  # type: ignore[no-untyped-def]
    lines = []
    for line in iter(stream.readline, ""):
        if line.rstrip("\n") == READY:
            break
        lines.append(line)
    return "".join(lines)
