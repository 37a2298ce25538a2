"""Backups with the databases' own tools: SQLite's online backup API and pg_dump/pg_restore.

Both are consistent snapshots taken while the app runs. Restore into an empty database, then
run ``stampbook doctor``.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url


class BackupError(RuntimeError):
    pass


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian package postgresql-client)")
    return found


def backup(url: str, target: Path) -> None:
    source_path = _sqlite_path(url)
    if source_path is not None:
        with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return
    subprocess.run(  # noqa: S603
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)],
        check=True,
        capture_output=True,
        text=True,
    )


def restore(url: str, source: Path) -> None:
    target_path = _sqlite_path(url)
    if target_path is not None:
        if target_path.exists() and target_path.stat().st_size > 0:
            raise BackupError(f"{target_path} exists; restore into a new file")
        with sqlite3.connect(source) as backup_db, sqlite3.connect(target_path) as target:
            backup_db.backup(target)
        return
    subprocess.run(  # noqa: S603
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={_libpq_url(url)}",
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
