"""The file-level half of a safe metadata write: what the original was, the temporary file, the replace.

- The original's size, mtime and content fingerprint are taken before the write and checked again just before the
  temporary file replaces it: an edit made meanwhile by another program is never overwritten.
- The temporary file lives next to the real file (symlinks are followed: the link stays a link) and gets the
  original's permission bits, owner (where allowed) and extended attributes before it replaces it.
- Read-only files and folders are refused with a reason; the backup keeps the first original, never a later one.
- The image data must be provably unchanged: decoded pixels compared, or for a file Pillow cannot decode the bytes
  of everything but the metadata blocks. For a RAW file (a DNG: the only one written into) the sensor data LibRaw
  reads must be identical: a DNG's IFD0 often holds only its preview, and exiftool cannot strip IFD0's tags from a
  DNG, so neither of the other proofs would do.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from photoscribe.formats import is_raw_name
from photoscribe.library.fingerprint import content_fingerprint
from photoscribe.metadata import jpeg

TEMPORARY = ".photoscribe-tmp-"
BACKUP = ".photoscribe-backup"
LOCK_RETRIES = 5
APP_MARKERS = range(0xE0, 0xF0)
COM = 0xFE


class Refused(Exception):
    """The write must not go ahead; the message says why in plain words."""


@dataclass(frozen=True)
class Snapshot:
    """The original file as it was when the write began."""

    size: int
    mtime_ns: int
    atime_ns: int
    mode: int
    uid: int
    gid: int
    fingerprint: str


def real_path(path: Path) -> Path:
    """The file a (possibly symlinked) path points at; the write goes there and the link stays a link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable(real: Path, exists: bool) -> None:
    """Refuse read-only files and folders (mode bits without write permission count, even for root)."""
    if exists:
        mode = os.stat(real).st_mode
        if not mode & 0o222 or not os.access(real, os.W_OK):
            raise Refused(f"{real.name} is read-only")
    folder = real.parent
    if not os.stat(folder).st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise Refused(f"the folder {folder} is read-only")


def snapshot(path: Path) -> Snapshot:
    """Size, times, mode, owner and content fingerprint of ``path`` now."""
    before = os.stat(path)
    fingerprint = content_fingerprint(path)
    after = os.stat(path)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        raise Refused("the file is being changed by another program")
    return Snapshot(
        after.st_size, after.st_mtime_ns, after.st_atime_ns, after.st_mode, after.st_uid, after.st_gid, fingerprint
    )


def ensure_unchanged(path: Path, snap: Snapshot) -> None:
    """Refuse when ``path`` no longer matches ``snap`` (another program's edit since the write began)."""
    try:
        now = os.stat(path)
        same = (now.st_size, now.st_mtime_ns) == (snap.size, snap.mtime_ns) and content_fingerprint(
            path
        ) == snap.fingerprint
    except FileNotFoundError:
        raise Refused("the file was moved or deleted while writing") from None
    if not same:
        raise Refused("another program changed the file while writing; its change was kept")


def temporary_for(real: Path) -> Path:
    """A new, empty temporary file next to ``real`` (hidden, so scanners ignore it); stale ones from killed
    PhotoScribe processes on this machine are removed first."""
    _remove_stale(real)
    path = real.with_name(f".{real.name}{TEMPORARY}{os.getpid()}{real.suffix}")
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return path


def _remove_stale(real: Path) -> None:
    prefix = f".{real.name}{TEMPORARY}"
    try:
        names = [n for n in os.listdir(real.parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :].removesuffix(real.suffix)
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            Path(real.parent, name).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else (or this platform cannot tell): leave its file
        return True
    return True


def keep_attributes(snap: Snapshot, original: Path, temporary: Path, keep_mtime: bool) -> None:
    """Give ``temporary`` the original's permission bits, owner (where allowed), extended attributes and, on
    request, its times; flush it to disk."""
    os.chmod(temporary, stat.S_IMODE(snap.mode))
    if hasattr(os, "chown"):
        try:
            os.chown(temporary, snap.uid, snap.gid)
        except OSError:  # only the superuser may give a file away: the owner stays the writer's
            pass
    _copy_xattrs(original, temporary)
    if keep_mtime:
        os.utime(temporary, ns=(snap.atime_ns, snap.mtime_ns))
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())


def _copy_xattrs(source: Path, target: Path) -> None:
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return
        raise
    for name in names:
        try:
            os.setxattr(target, name, os.getxattr(source, name))
        except OSError as exc:
            if name.startswith("user."):  # the user's own tags and labels must come along
                raise Refused(f"cannot keep the extended attribute {name}: {exc.strerror}") from exc


def backup_first(real: Path, snap: Snapshot) -> Path | None:
    """Copy the original to ``NAME.photoscribe-backup`` unless a backup exists (the first original is kept);
    returns the backup made now, if any."""
    backup = real.with_name(real.name + BACKUP)
    if backup.exists():
        return None
    staging = real.with_name(f".{real.name}{BACKUP}-{os.getpid()}")
    try:
        shutil.copy2(real, staging)
        if content_fingerprint(staging) != snap.fingerprint:
            raise Refused("another program changed the file while writing; its change was kept")
        try:
            os.link(staging, backup)
        except FileExistsError:
            return None
        except OSError:  # a file system without hard links
            if backup.exists():
                return None
            os.replace(staging, backup)
        return backup
    finally:
        staging.unlink(missing_ok=True)


def replace(real: Path, temporary: Path, snap: Snapshot) -> None:
    """Check the original once more, then atomically put ``temporary`` in its place."""
    ensure_unchanged(real, snap)
    for attempt in range(LOCK_RETRIES):
        try:
            os.replace(temporary, real)
            break
        except PermissionError:  # Windows: another program has the file open for a moment
            if attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    _sync_folder(real.parent)


def create(target: Path, temporary: Path) -> None:
    """Put ``temporary`` in place as the new file ``target``, unless another program created it meanwhile."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise Refused(f"another program created {target.name} while writing; it was kept") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise Refused(f"another program created {target.name} while writing; it was kept") from None
        os.replace(temporary, target)
    temporary.unlink(missing_ok=True)
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def image_problem(original: Path, written: Path, strip: object = None) -> str | None:
    """Why the image data may have changed, or None when it provably did not: decoded pixels compared; for a file
    Pillow cannot decode, JPEG image bytes or the files with every metadata block removed (``strip(path, out)``);
    for a RAW file, its sensor data (and its pixels where Pillow decodes it too)."""
    if is_raw_name(original):
        problem = _raw_problem(original, written)
        if problem is not None:
            return problem
    try:
        with Image.open(original) as a, Image.open(written) as b:
            same = a.size == b.size and a.mode == b.mode and a.tobytes() == b.tobytes()
        return None if same else "the decoded pixels changed"
    except Exception:  # a format or a file Pillow cannot decode: prove it byte by byte instead
        if is_raw_name(original):
            return None  # the sensor data was proved identical
    old, new = original.read_bytes(), written.read_bytes()
    if old[:2] == b"\xff\xd8":
        try:
            return None if _jpeg_image(old) == _jpeg_image(new) else "the image data changed"
        except ValueError as exc:
            return f"cannot prove the image data unchanged ({exc})"
    if callable(strip):
        with tempfile.TemporaryDirectory(prefix="photoscribe-") as folder:
            a, b = Path(folder, "a" + original.suffix), Path(folder, "b" + original.suffix)
            try:
                strip(original, a)
                strip(written, b)
            except Exception as exc:
                return f"cannot prove the image data unchanged ({exc})"
            return None if a.read_bytes() == b.read_bytes() else "the image data changed"
    return "cannot prove the image data unchanged: the image cannot be decoded"


def _raw_problem(original: Path, written: Path) -> str | None:
    try:
        same = _sensor_data(original) == _sensor_data(written)
    except Exception as exc:  # LibRaw cannot read it: nothing proves the RAW data unchanged
        return f"cannot prove the RAW image data unchanged ({type(exc).__name__}: {exc})"
    return None if same else "the RAW image data changed"


def _sensor_data(path: Path) -> tuple[object, ...]:
    import rawpy  # only when a RAW file is written into (a DNG, with exiftool)

    with rawpy.imread(str(path)) as raw:
        data = raw.raw_image
        return (tuple(raw.sizes), raw.raw_type, data.dtype.str, data.shape, data.tobytes())


def _jpeg_image(data: bytes) -> tuple[list[jpeg.Segment], bytes]:
    """A JPEG's image data and its non-metadata segments (tables, frame header), without APPn and comments."""
    segments, image = jpeg.split(data)
    return [s for s in segments if s[0] not in APP_MARKERS and s[0] != COM], image
