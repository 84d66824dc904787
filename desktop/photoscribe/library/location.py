"""Where a library lives: a SQLite file on this computer, or a PostgreSQL server shared by a studio.

``--library``, ``PHOTOSCRIBE_LIBRARY`` and the ``library`` setting take either a file path or a server URL
(``postgresql://user@host/db``). One rule tells them apart, here.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit, urlunsplit

#: URL schemes of a PostgreSQL library (``postgresql+psycopg`` is SQLAlchemy's spelling of the same).
SERVER_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def is_server_url(location: object) -> bool:
    """True when ``location`` names a PostgreSQL server rather than a library file."""
    if not isinstance(location, str) or "://" not in location:
        return False
    return location.split("://", 1)[0].lower() in SERVER_SCHEMES


def engine_url(location: str) -> str:
    """The SQLAlchemy URL of a server ``location``, always with the psycopg (3) driver."""
    return "postgresql+psycopg://" + location.split("://", 1)[1]


def shown_location(location: str) -> str:
    """``location`` safe to print: a server URL without its password."""
    if not is_server_url(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


#: Overrides the name of this machine in the library (its lease owner's host, its mount points of roots).
HOST_ENV = "PHOTOSCRIBE_HOST"


def this_host() -> str:
    """The name this machine goes by in a shared library."""
    return os.environ.get(HOST_ENV) or socket.gethostname()
