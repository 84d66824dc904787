"""A persistent exiftool process (``-stay_open``), the reference reader and writer of photo metadata.

Starting Perl and exiftool costs about a quarter of a second; one process kept open serves every read and write.
It knows PhotoScribe's own XMP namespace (``XMP-photoscribe``) through a small config file, used to record which
keywords and which caption PhotoScribe wrote, so that a later read tells them from the photographer's and a
re-caption can replace them without touching the photographer's.

Every command has a time limit: an exiftool stuck on a stalled network file (or killed by someone) is stopped,
the command raises :class:`ExifToolError`, and the next command starts a fresh process.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

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
    Caption => {{ }},
    Model => {{ }},
);
# exiftool -stay_open keeps polling its stdin for commands after the pipe is closed: when PhotoScribe is killed
# (SIGKILL, a crash, the OOM killer) nobody sends "-stay_open False", so exiftool leaves as soon as its parent
# process is gone (it is then given another parent) instead of running for ever.
if ($^O ne 'MSWin32') {{
    my $photoscribe_parent = getppid();
    $SIG{{ALRM}} = sub {{ exit 0 if getppid() != $photoscribe_parent; alarm 2; }};
    alarm 2;
}}
1;
"""
READY = b"{ready}"
DEFAULT_TIMEOUT = 60.0


class ExifToolError(PhotoScribeError):
    """exiftool is missing, failed to start, took too long, stopped, or reported an error."""


def exiftool_path() -> str | None:
    """The exiftool executable on the PATH, if installed."""
    return shutil.which("exiftool")


class _Process:
    """One running ``exiftool -stay_open``; two threads move its output lines into one queue (works on Windows,
    where pipes cannot be polled)."""

    def __init__(self, argv: list[str]) -> None:
        try:
            self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise ExifToolError(f"cannot start exiftool: {exc}") from exc
        self.lines: queue.Queue[tuple[str, bytes | None]] = queue.Queue()
        assert self.popen.stdout and self.popen.stderr
        for name, stream in (("out", self.popen.stdout), ("err", self.popen.stderr)):
            threading.Thread(target=_pump, args=(stream, name, self.lines), daemon=True).start()

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
            log.warning("exiftool (pid %d) did not stop", self.popen.pid)
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _pump(stream: IO[bytes], name: str, lines: queue.Queue[tuple[str, bytes | None]]) -> None:
    try:
        for line in iter(stream.readline, b""):
            lines.put((name, line))
    except (OSError, ValueError):  # the pipe was closed under us: the process was stopped
        pass
    lines.put((name, None))


class ExifTool:
    """One ``exiftool -stay_open True -@ -`` process; thread-safe; close it (or use ``with``) when done.

    ``timeout`` (seconds) bounds every command: past it the process is killed and :class:`ExifToolError` raised;
    the next command starts a new process.
    """

    def __init__(self, executable: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        executable = executable or exiftool_path()
        if executable is None:
            raise ExifToolError("exiftool is not installed (see the README: Writing captions into photos)")
        self.timeout = timeout
        self._config = Path(tempfile.mkstemp(prefix="photoscribe-exiftool-", suffix=".config")[1])
        self._config.write_text(CONFIG, encoding="utf-8")
        self._argv = [executable, "-config", str(self._config), "-stay_open", "True", "-@", "-"]
        self._lock = threading.Lock()
        self._closed = False
        self._process: _Process | None = _Process(self._argv)

    def __enter__(self) -> ExifTool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The running exiftool's process id (None between a stopped process and the next command)."""
        return self._process.popen.pid if self._process is not None else None

    def run(self, *args: str, timeout: float | None = None) -> tuple[str, str]:
        """Run one exiftool command; returns (stdout, stderr); raises :class:`ExifToolError` past the time limit
        or when the process stops."""
        limit = self.timeout if timeout is None else timeout
        with self._lock:
            if self._closed:
                raise ExifToolError("exiftool was closed")
            if self._process is None or self._process.popen.poll() is not None:
                if self._process is not None:
                    self._process.kill()
                self._process = _Process(self._argv)
            process = self._process
            lines = [*args, "-echo4", READY.decode(), "-execute", ""]
            command = "\n".join(arg.replace("\n", " ") for arg in lines).encode("utf-8", "surrogateescape")
            try:
                assert process.popen.stdin
                process.popen.stdin.write(command)
                process.popen.stdin.flush()
                out, err = self._collect(process, time.monotonic() + limit, limit)
            except (OSError, ExifToolError) as exc:
                process.kill()
                self._process = None
                raise exc if isinstance(exc, ExifToolError) else ExifToolError(f"exiftool stopped: {exc}") from exc
        return out, err

    def _collect(self, process: _Process, deadline: float, limit: float) -> tuple[str, str]:
        found: dict[str, list[bytes]] = {"out": [], "err": []}
        done: set[str] = set()
        while len(done) < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("exiftool (pid %d) took longer than %.0f s: stopped", process.popen.pid, limit)
                raise ExifToolError(f"exiftool took longer than {limit:g} s and was stopped")
            try:
                name, line = process.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise ExifToolError(f"exiftool stopped unexpectedly (exit code {process.popen.wait()})")
            if line.rstrip(b"\r\n") == READY:
                done.add(name)
            else:
                found[name].append(line)
        out, err = (b"".join(found[n]).decode("utf-8", "surrogateescape") for n in ("out", "err"))
        return out, err

    def read(self, path: Path, binary: bool = False) -> dict[str, object]:
        """Every tag exiftool can read from ``path``, as ``{"Group:Tag": value}`` (numbers as numbers); with
        ``binary`` the content of binary tags (thumbnails, previews) as ``"base64:..."`` instead of a placeholder."""
        options = ["-b"] if binary else []
        out, err = self.run("-j", "-a", "-G1", "-n", "-struct", *options, "-charset", "filename=utf8", str(path))
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
        with self._lock:
            process, self._process, self._closed = self._process, None, True
        if process is not None and process.popen.poll() is None:
            try:
                assert process.popen.stdin
                process.popen.stdin.write(b"-stay_open\nFalse\n")
                process.popen.stdin.flush()
                process.popen.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if process is not None:
            process.kill()
        self._config.unlink(missing_ok=True)
