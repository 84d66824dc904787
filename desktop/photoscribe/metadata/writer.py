"""Writing captions and keywords into photos or XMP sidecars, proving nothing else changed.

Every write follows one protocol: note the original's size, mtime and content fingerprint; write into a temporary
file next to the real file (a symlink is followed; the link stays a link); read the temporary file back from disk
(with exiftool, or for the built-in writer with its own parser) and compare: the image data must be provably
identical (decoded pixels, or the bytes outside the metadata blocks when Pillow cannot decode the file) and every
tag that was readable before must still be readable with the same value (other than the fields PhotoScribe sets
and values exiftool recomputes); then the temporary file gets the original's permission bits, owner and extended
attributes, the original is checked once more (another program's edit meanwhile is never overwritten), and only
then does the temporary file atomically replace it. On any doubt the original is left byte-identical and the
reason is returned; :meth:`MetadataWriter.write` never raises.

PhotoScribe records what it wrote in its own XMP namespace: ``photoscribe:Keywords`` (the keywords it added) and
``photoscribe:Caption`` (the model caption it wrote; a caption that is the photographer's is not recorded there),
so that a later read tells its words from the photographer's.

A camera RAW file (by its name, :func:`photoscribe.formats.is_raw_name`) is never modified: its caption goes to its
XMP sidecar in every mode. The one exception is DNG, Adobe's open RAW format that Lightroom itself writes into: it
is embedded into only with exiftool and the same proof as any other file; the built-in writer gives it a sidecar.
A JPEG named like a RAW file (``.nef``) is treated as the RAW file its name says it is.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from photoscribe.formats import HEIF_EXTENSIONS, JPEG_EXTENSIONS, RASTER_EXTENSIONS, is_raw_name
from photoscribe.metadata import builtin, safety, verify
from photoscribe.metadata.exiftool import ExifTool, ExifToolError
from photoscribe.metadata.reader import IPTC_KEYWORD_BYTES, sidecar_for
from photoscribe.metadata.safety import Refused
from photoscribe.metadata.verify import CAPTION_TAGS, IN_SIDECAR, KEYWORD_LISTS, OURS, OWN_CAPTION

log = logging.getLogger(__name__)

BUILTIN_EMBEDDABLE = JPEG_EXTENSIONS
EMBEDDABLE = JPEG_EXTENSIONS | HEIF_EXTENSIONS | (RASTER_EXTENSIONS - {".bmp", ".gif"})  # exiftool writes these
#: The only RAW format written into, and only by exiftool with its proof; every other RAW file gets a sidecar.
RAW_EMBEDDABLE = {".dng"}
EMPTY_SIDECAR = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>\n'
).encode()
BeforeReplace = Callable[[Path, Path], None]

__all__ = [
    "CAPTION_TAGS",
    "IPTC_KEYWORD_BYTES",
    "KEYWORD_LISTS",
    "OURS",
    "OWN_CAPTION",
    "MetadataWriter",
    "WriteOptions",
    "WriteOutcome",
    "embeds",
]


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one photo: where the metadata went, or why nothing was written."""

    path: Path
    written: bool  # the target now holds the caption and keywords
    target: Path | None = None  # the photo itself, or its sidecar
    reason: str = ""
    unchanged: bool = False  # it held them already: nothing was rewritten


@dataclass(frozen=True)
class WriteOptions:
    """How to write: mode, sidecar naming for new sidecars, mtime, backups."""

    mode: str = "embed"  # "sidecar" or "embed" (embed falls back to a sidecar for RAW and other formats)
    sidecar_naming: str = "full"  # "full": IMG_1.CR2.xmp (digiKam, darktable); "stem": IMG_1.xmp (Lightroom)
    keep_mtime: bool = False  # default: update it, so other programs notice the change
    backup: bool = False  # keep the first original as IMG_1.jpg.photoscribe-backup next to the photo


class MetadataWriter:
    """Writes caption and keywords, verifying every write: with :class:`ExifTool` when it is installed, else with
    the built-in writer (JPEG: EXIF and XMP; other formats and sidecars: XMP sidecars).

    ``before_replace(target, temporary)`` is called right before the verified temporary file replaces ``target``
    (the path as given, e.g. to tell the library which file facts its own write will leave); when it raises, the
    write is not done.
    """

    def __init__(
        self,
        exiftool: ExifTool | None,
        options: WriteOptions = WriteOptions(),
        before_replace: BeforeReplace | None = None,
    ) -> None:
        self.exiftool = exiftool
        self.options = options
        self.before_replace = before_replace

    def write(
        self,
        photo: Path,
        caption: str | None,
        keywords: Sequence[str],
        *,
        caption_is_ours: bool = True,
        before_replace: BeforeReplace | None = None,
    ) -> WriteOutcome:
        """Put ``caption`` and ``keywords`` into ``photo`` (or its sidecar). ``caption_is_ours``: the caption is the
        model's (recorded as PhotoScribe's), not the photographer's. ``before_replace`` runs after the writer's own
        hook. Never raises: every problem is a refusal with a reason, and the original stays byte-identical."""
        try:
            if not photo.exists():
                raise Refused("the photo does not exist")
            with_exiftool = self.exiftool is not None
            embed = self.options.mode == "embed" and all(
                embeds(name, with_exiftool) for name in (photo, safety.real_path(photo))
            )  # a link named .jpg to a RAW file is not written into either
            target = photo if embed else (sidecar_for(photo) or self._new_sidecar_path(photo))
            hooks = [h for h in (self.before_replace, before_replace) if h is not None]
            return self._write(photo, target, caption, list(keywords), caption_is_ours, embed, hooks)
        except Refused as exc:
            return WriteOutcome(photo, False, None, f"left unchanged: {exc}")
        except (OSError, ExifToolError, ValueError, SyntaxError) as exc:  # SyntaxError: ElementTree's ParseError
            return WriteOutcome(photo, False, None, f"not written: {exc}")
        except Exception as exc:  # a bug must not stop the caller: say so, keep the traceback in the log
            log.exception("writing metadata into %s failed", photo)
            return WriteOutcome(photo, False, None, f"not written: unexpected error: {exc!r}")

    def _write(
        self,
        photo: Path,
        target: Path,
        caption: str | None,
        keywords: list[str],
        caption_is_ours: bool,
        embed: bool,
        hooks: list[BeforeReplace],
    ) -> WriteOutcome:
        real = safety.real_path(target)
        exists = real.exists()
        if embed and not exists:
            raise Refused("the photo does not exist")
        safety.check_writable(real, exists)
        snap = safety.snapshot(real) if exists else None
        temporary = safety.temporary_for(real)
        backup = None
        try:
            if self.exiftool is None:
                changed = self._builtin(real, temporary, snap, caption, keywords, caption_is_ours, embed)
            else:
                changed = self._exiftool(real, temporary, snap, caption, keywords, caption_is_ours, embed)
            if not changed:
                return WriteOutcome(photo, True, target, "already up to date", unchanged=True)
            if snap is not None:
                safety.keep_attributes(snap, real, temporary, self.options.keep_mtime)
                if self.options.backup:
                    backup = safety.backup_first(real, snap)
            for hook in hooks:
                try:
                    hook(target, temporary)
                except Exception as exc:
                    raise Refused(f"the write could not be recorded first ({exc})") from exc
            if snap is not None:
                safety.replace(real, temporary, snap)
            else:
                safety.create(real, temporary)
        except BaseException:
            if backup is not None:
                backup.unlink(missing_ok=True)
            raise
        finally:
            temporary.unlink(missing_ok=True)
        return WriteOutcome(photo, True, target)

    def _builtin(
        self,
        real: Path,
        temporary: Path,
        snap: safety.Snapshot | None,
        caption: str | None,
        keywords: list[str],
        caption_is_ours: bool,
        embed: bool,
    ) -> bool:
        old = real.read_bytes() if snap is not None else None
        if snap is not None and old is not None and len(old) != snap.size:
            raise Refused("another program changed the file while writing; its change was kept")
        if embed:
            assert old is not None
            jpeg_plan = builtin.jpeg_plan(old, caption, keywords, caption_is_ours)
            new = builtin.jpeg_bytes(old, jpeg_plan)
        else:
            jpeg_plan = builtin.sidecar_plan(old, caption, keywords, caption_is_ours)
            new = builtin.sidecar_bytes(old, jpeg_plan)
        if new == old:
            return False
        self._fill(temporary, new)
        written = temporary.read_bytes()  # what is on disk, not what was meant to be
        if embed:
            assert old is not None
            problems = builtin.check_jpeg(old, written, jpeg_plan)
            problems = problems or _listed(safety.image_problem(real, temporary))
        else:
            problems = builtin.check_sidecar(old, written, jpeg_plan)
        if problems:
            raise Refused("; ".join(problems[:3]))
        return True

    def _fill(self, temporary: Path, data: bytes) -> None:
        """Write the built-in writer's new bytes into the temporary file."""
        with open(temporary, "wb") as handle:
            handle.write(data)

    def _exiftool(
        self,
        real: Path,
        temporary: Path,
        snap: safety.Snapshot | None,
        caption: str | None,
        keywords: list[str],
        caption_is_ours: bool,
        embed: bool,
    ) -> bool:
        assert self.exiftool is not None
        if snap is None:
            temporary.write_bytes(EMPTY_SIDECAR)
            before = self.exiftool.read(temporary, binary=True)
        else:
            before = self.exiftool.read(real, binary=True)
        plan = verify.plan(before, caption, keywords, caption_is_ours, verify.fields_in(real) if embed else IN_SIDECAR)
        if snap is not None and not plan.assignments:
            return False
        if snap is not None:
            with open(real, "rb") as source, open(temporary, "wb") as copy:
                shutil.copyfileobj(source, copy)
            if temporary.stat().st_size != snap.size:
                raise Refused("another program changed the file while writing; its change was kept")
        self.exiftool.write(temporary, plan.assignments)
        problems = verify.problems(before, self.exiftool.read(temporary, binary=True), plan)
        if embed and not problems:
            problems = _listed(safety.image_problem(real, temporary, strip=self._strip))
        if problems:
            raise Refused("; ".join(problems[:3]))
        return True

    def _strip(self, path: Path, out: Path) -> None:
        """``path`` without any metadata block, as ``out`` (for comparing image data exiftool cannot decode)."""
        assert self.exiftool is not None
        _, err = self.exiftool.run("-all=", "-o", str(out), str(path))
        if not out.exists():
            raise ExifToolError(err.strip() or "exiftool could not strip the metadata")

    def _new_sidecar_path(self, photo: Path) -> Path:
        return (
            photo.with_suffix(".xmp") if self.options.sidecar_naming == "stem" else photo.with_name(photo.name + ".xmp")
        )


def embeds(photo: Path, with_exiftool: bool) -> bool:
    """Whether an embed-mode write goes into ``photo`` itself (else into its sidecar): never for a RAW file but a
    DNG written by exiftool; JPEG only for the built-in writer."""
    suffix = photo.suffix.lower()
    if is_raw_name(photo):
        return with_exiftool and suffix in RAW_EMBEDDABLE
    return suffix in (EMBEDDABLE if with_exiftool else BUILTIN_EMBEDDABLE)


def _listed(problem: str | None) -> list[str]:
    return [problem] if problem else []
