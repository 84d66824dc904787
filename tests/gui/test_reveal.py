"""*Show in folder*: the command each platform gets (Windows and macOS checked as commands built), and on Linux a
real D-Bus round trip on a private session bus: a stand-in file manager receives exactly the file's URI, percent-
encoded from the name's bytes; with no file manager (or no bus) the folder is opened instead."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import ClassInfo, QObject, QUrl, Slot  # noqa: E402
from PySide6.QtDBus import QDBusConnection  # noqa: E402
from PySide6.QtGui import QDesktopServices  # noqa: E402

from photoscribe.gui import reveal  # noqa: E402
from photoscribe.gui.reveal import Revealer, plan_reveal, show_in_folder  # noqa: E402
from tests.gui.common import WAIT_MS, captioned_window, select  # noqa: E402
from tests.helpers import save_colour  # noqa: E402

NAME = os.fsdecode(b"caf\xe9 #1.jpg")  # not UTF-8 (Latin-1 bytes), a space and a '#'
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <auth>EXTERNAL</auth>
  <listen>unix:dir={folder}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
  </policy>
</busconfig>
"""  # (no service folders: nothing is started by activation, so "no file manager" stays true)


def test_plan_per_platform() -> None:
    path = os.fsdecode(b"/home/me/My Photos/caf\xe9 #1.jpg")
    linux = plan_reveal(path, "linux")
    assert linux.revealer is Revealer.FILE_MANAGER1 and linux.command is None
    assert linux.uri == "file:///home/me/My%20Photos/caf%E9%20%231.jpg"
    assert linux.folder_uri == "file:///home/me/My%20Photos"
    assert plan_reveal(os.fsencode(path), "freebsd14") == linux  # the bytes themselves, on any freedesktop system
    mac = plan_reveal(path, "darwin")
    assert mac.revealer is Revealer.FINDER
    assert mac.command == (b"open", b"-R", b"/home/me/My Photos/caf\xe9 #1.jpg")
    for given in (r"C:\Users\me\My Photos\café 1.jpg", "C:/Users/me/My Photos/café 1.jpg"):
        windows = plan_reveal(given, "win32")
        assert windows.revealer is Revealer.EXPLORER
        assert windows.command == r'explorer /select,"C:\Users\me\My Photos\café 1.jpg"'
        assert windows.uri == "file:///C:/Users/me/My%20Photos/caf%C3%A9%201.jpg"
        assert windows.folder_uri == "file:///C:/Users/me/My%20Photos"


class StandInFileManager(QObject):
    """Answers org.freedesktop.FileManager1.ShowItems on its own connection to the bus (so every call goes
    through the bus daemon), remembering what it was asked."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.calls: list[tuple[list[str], str]] = []
        self.adaptor = _FileManager1(self.calls)
        self.bus = QDBusConnection.connectToBus(address, "stand-in file manager")
        assert self.bus.isConnected(), self.bus.lastError().message()
        options = QDBusConnection.RegisterOption.ExportAllSlots
        assert self.bus.registerObject("/org/freedesktop/FileManager1", self.adaptor, options)
        assert self.bus.registerService("org.freedesktop.FileManager1")

    def close(self) -> None:
        self.bus.unregisterService("org.freedesktop.FileManager1")
        QDBusConnection.disconnectFromBus("stand-in file manager")


@ClassInfo({"D-Bus Interface": "org.freedesktop.FileManager1"})
class _FileManager1(QObject):
    def __init__(self, calls: list[tuple[list[str], str]]) -> None:
        super().__init__()
        self.calls = calls

    @Slot("QStringList", str)
    def ShowItems(self, uris: list[str], startup_id: str) -> None:  # noqa: N802
        self.calls.append((list(uris), startup_id))


@pytest.fixture
def private_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private D-Bus session bus (its own dbus-daemon) that the app's session bus is, for this test."""
    if shutil.which("dbus-daemon") is None:
        why = "dbus-daemon is not installed (apt-get install dbus): the D-Bus round trip cannot be tested"
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; .ci/run installs it")
        pytest.skip(why)
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(folder=tmp_path))
    started = subprocess.run(
        ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--print-pid=1", "--fork"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    address, pid = started.stdout.split()[:2]
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    QDBusConnection.disconnectFromBus(f"photoscribe-session {address}")
    os.kill(int(pid), 15)


@pytest.fixture
def stand_in(private_bus: str) -> Iterator[StandInFileManager]:
    manager = StandInFileManager(private_bus)
    yield manager
    manager.close()


class Opened(QObject):
    """Catches the file URLs QDesktopServices.openUrl is given (instead of a desktop opening them)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[Opened]:
    catcher = Opened()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def test_show_in_folder_button_asks_the_file_manager(qtbot, open_window, tmp_path, stand_in, opened) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"[\w/.-]+", str(tmp_path))  # (so the expected URI below needs no encoding of its own)
    photo = save_colour(tmp_path / "My Photos" / NAME, "red")
    window = captioned_window(qtbot, open_window, photo.parent, count=1)
    select(window, photo)
    assert window.details.record is not None and window.details.record.path == str(photo)
    started = time.monotonic()
    window.details.show_folder.click()
    assert time.monotonic() - started < 1 and stand_in.calls == []  # the call is on its way: the click returned
    qtbot.waitUntil(lambda: stand_in.calls != [], timeout=WAIT_MS)
    assert stand_in.calls == [([f"file://{tmp_path}/My%20Photos/caf%E9%20%231.jpg"], "")]
    qtbot.waitUntil(lambda: not reveal._in_flight, timeout=WAIT_MS)  # the answer came back...
    assert opened.urls == []  # ...and the folder was not opened as well


def test_no_file_manager_opens_the_folder(qtbot, private_bus, opened) -> None:  # type: ignore[no-untyped-def]
    folder = os.fsdecode(b"/srv/Fotos caf\xe9")
    watcher = show_in_folder(f"{folder}/a b.jpg")
    assert watcher is not None and opened.urls == []
    qtbot.waitUntil(lambda: opened.urls != [], timeout=WAIT_MS)
    assert [url.toEncoded().data() for url in opened.urls] == [b"file:///srv/Fotos%20caf%E9"]


def test_no_session_bus_opens_the_folder(qtbot, tmp_path, monkeypatch, opened) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus-here")
    assert show_in_folder("/srv/photos/a b.jpg") is None
    assert [url.toEncoded().data() for url in opened.urls] == [b"file:///srv/photos"]


def test_command_that_cannot_start_opens_the_folder(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """(On this Linux machine Windows' command line names no program: the fallback is taken.)"""
    show_in_folder("C:/Photos/a b.jpg", "win32")
    assert [url.toEncoded().data() for url in opened.urls] == [b"file:///C:/Photos"]
