"""*Show in folder*: open the system's file manager on a photo's folder with the photo selected.

:func:`plan_reveal` (pure) chooses how, per platform: Windows ``explorer /select,"PATH"``, macOS ``open -R PATH``,
Linux and other freedesktop systems the D-Bus call ``org.freedesktop.FileManager1.ShowItems([URI], "")`` on the
session bus (Nautilus, Dolphin, Nemo, Caja, Thunar... answer it). :func:`show_in_folder` runs the plan without
blocking the window's thread (the D-Bus call is asynchronous, a command is started, not waited for), and opens the
containing folder instead (``QDesktopServices.openUrl``) when nothing can select the file: no session bus, no file
manager answering on it, a command that cannot start.

Any file name works: a URI is percent-encoded from the path's bytes (``os.fsencode``: a name that is not UTF-8,
held in Python as a surrogate escape, becomes ``%E9``, not the mangled ``%ED%B3%A9`` ``QUrl.fromLocalFile`` makes),
and the macOS command gets the path's bytes.
"""

from __future__ import annotations

import enum
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote, quote_from_bytes

from PySide6.QtCore import QUrl
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)

FILE_MANAGER = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"
DBUS_TIMEOUT_MS = 5000  # a file manager started by D-Bus activation may take seconds; the call never blocks


class Revealer(enum.Enum):
    """How the file manager is asked to select a file."""

    EXPLORER = "explorer"  # Windows: explorer /select,"PATH"
    FINDER = "finder"  # macOS: open -R PATH
    FILE_MANAGER1 = "freedesktop"  # Linux, BSDs: org.freedesktop.FileManager1.ShowItems on the session bus


@dataclass(frozen=True)
class RevealPlan:
    """What :func:`show_in_folder` does for one file."""

    revealer: Revealer
    command: str | tuple[bytes, ...] | None  # Windows: a command line, used as is; macOS: the arguments; else None
    uri: str  # the file's URI (what ShowItems gets)
    folder_uri: str  # its folder's URI: opened when the file cannot be selected


def plan_reveal(path: str | bytes | os.PathLike[str], platform: str = sys.platform) -> RevealPlan:
    """How to show the file at ``path`` (absolute) selected in the file manager of ``platform`` (``sys.platform``
    values)."""
    name = os.fsdecode(path)
    if platform == "win32":
        file = PureWindowsPath(name)
        # explorer parses its own command line: /select, then the path in quotes (a Windows path holds no quote)
        return RevealPlan(Revealer.EXPLORER, f'explorer /select,"{file}"', file_uri(file), file_uri(file.parent))
    file_bytes = os.fsencode(name)
    uri, folder_uri = file_uri(PurePosixPath(name)), file_uri(PurePosixPath(name).parent)
    if platform == "darwin":
        return RevealPlan(Revealer.FINDER, (b"open", b"-R", file_bytes), uri, folder_uri)
    return RevealPlan(Revealer.FILE_MANAGER1, None, uri, folder_uri)


def file_uri(path: PurePosixPath | PureWindowsPath) -> str:
    """``file://`` URI of an absolute path: a POSIX path percent-encoded from its bytes, a Windows one from UTF-8."""
    if isinstance(path, PureWindowsPath):
        return "file:///" + quote(path.as_posix(), safe="/:")
    return "file://" + quote_from_bytes(os.fsencode(str(path)), safe="/")


def show_in_folder(
    path: str | bytes | os.PathLike[str], platform: str = sys.platform
) -> QDBusPendingCallWatcher | None:
    """Show the file at ``path`` selected in the file manager (its folder opened when that cannot be done).

    Returns at once. On freedesktop systems it returns the D-Bus call's watcher (``finished`` once the file manager
    answered, or the folder was opened instead), else None."""
    plan = plan_reveal(path, platform)
    if plan.revealer is Revealer.FILE_MANAGER1:
        return _ask_file_manager(plan)
    try:
        subprocess.Popen(  # started, not waited for
            plan.command,  # type: ignore[arg-type]
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        log.warning("cannot start %s (%s): opening the folder instead", plan.revealer.value, exc)
        open_folder(plan)
    return None


def open_folder(plan: RevealPlan) -> None:
    """The fallback: open the file's folder (without selecting the file)."""
    QDesktopServices.openUrl(QUrl.fromEncoded(plan.folder_uri.encode("ascii")))


_in_flight: set[QDBusPendingCallWatcher] = set()  # calls waiting for their answer (kept alive until then)


def _ask_file_manager(plan: RevealPlan) -> QDBusPendingCallWatcher | None:
    bus = session_bus()
    if not bus.isConnected():
        log.info("no D-Bus session bus (%s): opening the folder", bus.lastError().message())
        open_folder(plan)
        return None
    call = QDBusMessage.createMethodCall(FILE_MANAGER, FILE_MANAGER_PATH, FILE_MANAGER, "ShowItems")
    call.setArguments([[plan.uri], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(call, DBUS_TIMEOUT_MS))
    _in_flight.add(watcher)

    def answered(done: QDBusPendingCallWatcher) -> None:
        _in_flight.discard(done)
        if done.isError():
            error = done.error()
            log.info("no file manager answered on D-Bus (%s: %s): opening the folder", error.name(), error.message())
            open_folder(plan)
        done.deleteLater()

    watcher.finished.connect(answered)
    return watcher


def session_bus() -> QDBusConnection:
    """The session bus that ``DBUS_SESSION_BUS_ADDRESS`` names now (Qt's own session bus is fixed at its first use;
    this follows the variable, and falls back to Qt's when the variable is not set, e.g. systemd's default bus)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        return QDBusConnection.sessionBus()
    name = f"photoscribe-session {address}"
    bus = QDBusConnection(name)
    if not bus.isConnected():
        bus = QDBusConnection.connectToBus(address, name)
        if not bus.isConnected():
            QDBusConnection.disconnectFromBus(name)  # (so that the next click tries again)
    return bus
