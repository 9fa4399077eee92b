"""What every storage module shares: the connection type and two statement helpers.

Storage functions are plain synchronous functions of a `sqlite3.Connection`:
they run inside `Database.write()` / `Database.read()`, in the database
thread, as one transaction per use case; none commits by itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

Conn = sqlite3.Connection


def fetch_one(conn: Conn, sql: str, params: Sequence = ()):
    return conn.execute(sql, params).fetchone()


def fetch_all(conn: Conn, sql: str, params: Sequence = ()) -> list:
    return conn.execute(sql, params).fetchall()
