"""The library's tables as SQLAlchemy 2.0 models (portable SQL; full-text search, which differs by database, is in
``search.py``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from photoscribe.library.paths import PathBytes, PathKeyBytes, RootPathBytes


class Base(DeclarativeBase):
    """Declarative base of every PhotoScribe table."""


class PhotoStatus(str, enum.Enum):
    """Values of :attr:`Photo.status`: where a photo stands in the captioning queue."""

    PENDING = "pending"  # new or changed, waiting to be captioned
    RUNNING = "running"  # leased by a worker (see queue.py); goes back to pending when its lease ends
    DONE = "done"  # captioned
    FAILED = "failed"  # could not be captioned; ``error`` says why
    MISSING = "missing"  # the file is gone; the row and caption are kept in case it comes back
    CANCELLED = "cancelled"  # taken off the queue by the user; queued again when asked or when the file changes
    PAIRED = "paired"  # the RAW half of a RAW+JPEG pair: shown and captioned through its JPEG (see pairs.py)

    def __str__(self) -> str:
        return self.value


class KeywordSource(str, enum.Enum):
    """Values of :attr:`Keyword.source`."""

    MODEL = "model"  # derived from the model's caption
    USER = "user"  # typed or confirmed by the photographer; when present, these are the keywords in force
    FILE = "file"  # read from the photo's own metadata


class Meta(Base):
    """Key/value facts about the library itself (schema version)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Folder(Base):
    """A folder the photographer added; its photos are found recursively."""

    __tablename__ = "folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(PathBytes, unique=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)
    polling: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # network shares
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # not watched for now
    photos: Mapped[list[Photo]] = relationship(back_populates="folder")


class Photo(Base):
    """One image file and its place in the captioning queue."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(PathBytes, unique=True)  # the exact bytes of the file name
    path_key: Mapped[str | None] = mapped_column(PathKeyBytes, index=True)  # identity: see paths.path_key
    size: Mapped[int] = mapped_column(BigInteger)  # (a file can pass 2 GB: PostgreSQL's INTEGER cannot hold it)
    mtime: Mapped[float] = mapped_column(Float)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    camera: Mapped[str | None] = mapped_column(String(128))
    prompt: Mapped[str | None] = mapped_column(Text)  # a one-off prompt for the next caption (re-caption with prompt)
    status: Mapped[str] = mapped_column(String(16), default=PhotoStatus.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(255))  # "host:pid:start" of the worker captioning it
    lease_expires: Mapped[float | None] = mapped_column(Float)  # Unix time; renewed by the owner's heartbeat
    metadata_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # caption not yet
    # written into the file (survives a kill between the caption and its metadata write)
    own_write_size: Mapped[int | None] = mapped_column(Integer)  # the file PhotoScribe's metadata write is
    own_write_mtime: Mapped[float | None] = mapped_column(Float)  # about to put in place: registration takes a
    own_write_fingerprint: Mapped[str | None] = mapped_column(String(64))  # file with this content as unchanged
    file_kind: Mapped[str | None] = mapped_column(String(16))  # formats.FileKind value, by the file's name
    companion_id: Mapped[int | None] = mapped_column(  # on the RAW half of a pair: the JPEG/HEIF it is shown as
        ForeignKey("photos.id", ondelete="SET NULL"), index=True
    )

    folder: Mapped[Folder | None] = relationship(back_populates="photos")
    caption: Mapped[Caption | None] = relationship(back_populates="photo", cascade="all, delete-orphan")
    keywords: Mapped[list[Keyword]] = relationship(back_populates="photo", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_photos_status", "status", "id"),)


class Caption(Base):
    """A photo's captions: the model's, the one found in the file, and the photographer's edit, which wins."""

    __tablename__ = "captions"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_caption: Mapped[str | None] = mapped_column(Text)
    model_ref: Mapped[str | None] = mapped_column(Text)  # the model id or folder that wrote model_caption
    settings: Mapped[str | None] = mapped_column(Text)  # JSON: hardware, prompt, max length, beams
    captioned_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_caption: Mapped[str | None] = mapped_column(Text)
    file_caption: Mapped[str | None] = mapped_column(Text)  # found in the photo's metadata or sidecar
    user_edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # model captions made so far
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)  # someone looked at the photo's captions since
    # the model's last caption (accepted, or edited caption or keywords); None: a model caption to review

    photo: Mapped[Photo] = relationship(back_populates="caption")

    @property
    def in_force(self) -> str | None:
        """The caption to show and write: the user's edit, else the file's own caption, else the model's."""
        return next((c for c in (self.user_caption, self.file_caption, self.model_caption) if c is not None), None)


class Keyword(Base):
    """One keyword of a photo and where it came from."""

    __tablename__ = "keywords"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    word: Mapped[str] = mapped_column(String(128), index=True)
    source: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)

    photo: Mapped[Photo] = relationship(back_populates="keywords")

    __table_args__ = (UniqueConstraint("photo_id", "source", "word"),)


class LeftOutFile(Base):
    """How many files of one kind and extension a folder holds that are not photos (videos, sidecars, others)."""

    __tablename__ = "left_out_files"
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # formats.LeftOut value
    extension: Mapped[str] = mapped_column(String(32), primary_key=True)  # lower case with its dot; "" for none
    count: Mapped[int] = mapped_column(Integer)


class Root(Base):
    """A folder shared by several machines (a NAS share): photos under it are stored under ``path``, the place
    where the machine that added the root sees it; every machine maps it to its own mount point (``RootMount``)."""

    __tablename__ = "roots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(RootPathBytes, unique=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class RootMount(Base):
    """Where one machine (by host name) sees a root."""

    __tablename__ = "root_mounts"
    root_id: Mapped[int] = mapped_column(ForeignKey("roots.id", ondelete="CASCADE"), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    path: Mapped[str] = mapped_column(RootPathBytes)


class TextVector(Base):
    """The meaning of a photo's text (see ``rows.embedding_text``) as a text model encoded it, for search.

    ``text_hash`` is the sha1 of the text embedded; ``None`` once that text changed (the vector is stale until the
    photo is embedded again). ``changed`` is the value of the meta counter ``TEXT_VECTORS_CHANGED`` when the row
    was last written, so a process holding the vectors in memory reads only the rows changed since.
    """

    __tablename__ = "text_vectors"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_ref: Mapped[str] = mapped_column(Text)  # the text model id or folder that made the vector
    text_hash: Mapped[str | None] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, L2-normalised
    changed: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)


class ImageVector(Base):
    """A pooled vector of the captioning model's vision encoder for a photo, made when it was captioned."""

    __tablename__ = "image_vectors"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_ref: Mapped[str] = mapped_column(Text)  # the captioning model that made it
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, L2-normalised
    changed: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)


#: Meta keys counting writes to each vector table (see ``TextVector.changed``).
TEXT_VECTORS_CHANGED = "text_vectors_changed"
IMAGE_VECTORS_CHANGED = "image_vectors_changed"
#: Meta key counting deletions of vectors (photos forgotten, files changed): vectors in memory are read again.
VECTORS_REMOVED = "vectors_removed"
