"""The persistent exiftool process: a stuck or killed exiftool costs one command, never a hang or a broken photo."""

from __future__ import annotations

import array
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from photoscribe.metadata import MetadataWriter, WriteOptions
from photoscribe.metadata.exiftool import ExifTool, ExifToolError, exiftool_path
from tests.helpers import wait_for
from tests.metadata.conftest import reference_read, state, temporaries

pytestmark = pytest.mark.skipif(exiftool_path() is None and os.environ.get("CI") != "true", reason="no exiftool")


def photo_in(folder: Path) -> Path:
    path = folder / "a.jpg"
    Image.new("RGB", (40, 30), (20, 90, 160)).save(path)
    return path


def _pending(stream: object) -> int:
    """Bytes written into a pipe and not yet read by the other end (Linux FIONREAD works on either end)."""
    import fcntl  # POSIX only, like the signals these tests send
    import termios

    buffer = array.array("i", [0])
    fcntl.ioctl(stream.fileno(), termios.FIONREAD, buffer)  # type: ignore[attr-defined]
    return buffer[0]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_stuck_exiftool_is_stopped_after_the_timeout_and_the_next_call_starts_a_new_one(tmp_path: Path) -> None:
    photo = photo_in(tmp_path)
    with ExifTool(timeout=1.0) as tool:
        stuck = tool.pid
        assert stuck is not None
        os.kill(stuck, signal.SIGSTOP)  # a process that no longer answers, like one stuck on a stalled share
        started = time.monotonic()
        with pytest.raises(ExifToolError, match="longer than 1 s"):
            tool.read(photo)
        assert time.monotonic() - started < 10
        wait_for(lambda: gone(stuck), what="the stuck exiftool to be killed")
        assert tool.read(photo)["File:ImageWidth"] == 40  # a fresh process
        assert tool.pid not in (None, stuck)


def test_an_exiftool_killed_mid_command_fails_that_command_only(tmp_path: Path) -> None:
    photo = photo_in(tmp_path)
    with ExifTool(timeout=30) as tool:
        victim = tool.pid
        assert victim is not None
        os.kill(victim, signal.SIGSTOP)  # hold it so that the kill lands while the command is in flight
        result: list[object] = []
        reader = threading.Thread(target=lambda: result.append(_try(lambda: tool.read(photo))))
        reader.start()
        # the command is in flight once its bytes wait in the stopped process's stdin (holding the lock is not
        # enough: the kill could land before the liveness check, and the read would rightly go to a new process)
        stdin = tool._process.popen.stdin  # type: ignore[union-attr]  # noqa: SLF001
        wait_for(lambda: _pending(stdin) > 0, what="the command to be sent")
        os.kill(victim, signal.SIGKILL)
        reader.join(30)
        assert isinstance(result[0], ExifToolError) and "stopped" in str(result[0])
        assert tool.read(photo)["File:ImageWidth"] == 40


def test_a_write_whose_exiftool_is_killed_leaves_the_photo_byte_identical_and_the_next_write_works(
    tmp_path: Path,
) -> None:
    class KilledDuringWrite(ExifTool):
        """The real exiftool, killed by the test while the writer's command is in flight."""

        kills = 1

        def write(self, path: Path, assignments: list[str]) -> None:
            if self.kills:
                self.kills -= 1
                victim = self.pid
                assert victim is not None and self._process is not None  # noqa: SLF001
                os.kill(victim, signal.SIGSTOP)  # the kill must land after the command is sent, not before
                stdin = self._process.popen.stdin  # noqa: SLF001

                def kill_once_sent() -> None:
                    wait_for(lambda: _pending(stdin) > 0, what="the write command to be sent")
                    os.kill(victim, signal.SIGKILL)

                threading.Thread(target=kill_once_sent, daemon=True).start()
            super().write(path, assignments)

    photo = photo_in(tmp_path)
    before = state(photo)
    with KilledDuringWrite() as tool:
        writer = MetadataWriter(tool, WriteOptions("embed"))
        outcome = writer.write(photo, "a blue wall", ["blue"])
        assert not outcome.written and "exiftool" in outcome.reason
        assert state(photo) == before
        assert not temporaries(tmp_path)
        assert writer.write(photo, "a blue wall", ["blue"]).written
    assert reference_read(photo)["XMP-dc:Description"] == "a blue wall"


def test_a_closed_exiftool_refuses_commands(tmp_path: Path) -> None:
    tool = ExifTool()
    tool.close()
    with pytest.raises(ExifToolError):
        tool.read(photo_in(tmp_path))


def _try(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except Exception as exc:
        return exc


def stopped(pid: int) -> bool:
    """The process is gone or a zombie nobody has reaped yet (it no longer runs)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_exiftool_of_a_killed_photoscribe_process_exits_by_itself(tmp_path: Path) -> None:
    # exiftool -stay_open keeps polling its closed stdin for commands: without a guard, every PhotoScribe process
    # killed (SIGKILL, a crash, the OOM killer) left a Perl process running for ever
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from photoscribe.metadata.exiftool import ExifTool; t = ExifTool(); t.run('-ver');"
            " print(t.pid, flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    child = int(owner.stdout.readline())
    assert not stopped(child)
    owner.kill()
    owner.wait()
    wait_for(lambda: stopped(child), timeout=20, what="the orphaned exiftool to exit")
