"""A real PostgreSQL server for the tests: the one ``PHOTOSCRIBE_TEST_POSTGRES`` names (CI starts one, see
``.ci/run``), else a private cluster started here in a temp folder (``initdb`` and ``pg_ctl`` run as the
``postgres`` user when the tests run as root). Each test gets a fresh database, dropped afterwards.

Where PostgreSQL is not installed the PostgreSQL tests are skipped, except under ``CI=true``, where that fails.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

ENV_URL = "PHOTOSCRIBE_TEST_POSTGRES"
BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _binary(name: str) -> str | None:
    return shutil.which(name) or next((str(b / name) for b in BINARIES if (b / name).exists()), None)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A running server and the URL of its ``postgres`` database (as its superuser)."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self._names = itertools.count(1)
        self.admin_url = os.environ.get(ENV_URL) or self._start()

    def _start(self) -> str:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            message = "PostgreSQL is not installed (initdb, pg_ctl) and PHOTOSCRIBE_TEST_POSTGRES is not set"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        self.folder = Path(tempfile.mkdtemp(prefix="photoscribe-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
            check=True,
            capture_output=True,
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        options = f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"]),
            check=True,
            capture_output=True,
        )
        self._pg_ctl, self._data = pg_ctl, data
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"photoscribe_test_{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        if self.folder is not None:
            subprocess.run(
                _as_postgres([self._pg_ctl, "-D", str(self._data), "-m", "immediate", "stop"]), capture_output=True
            )
            shutil.rmtree(self.folder, ignore_errors=True)
