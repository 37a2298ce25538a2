"""The `stampbook` command against a real database file / PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

BIN = Path(sys.executable).parent / "stampbook"


@contextmanager
def empty_database(tmp_path: Path, label: str) -> Iterator[str]:
    """A fresh, empty database (a SQLite file, or a new PostgreSQL database dropped after)."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / f'{label}.db'}"
        return
    name = f"stampbook_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(configured).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(configured).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path, "cli") as url:
        yield url


def stampbook(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "STAMPBOOK_INSTANCE": str(tmp_path / "instance")}
    return subprocess.run(
        [str(BIN), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_upgrade_demo_doctor(cli_db: str, tmp_path: Path) -> None:
    assert stampbook(cli_db, tmp_path, "db", "upgrade").returncode == 0
    first = stampbook(cli_db, tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "ada@example.com / stampbook-demo" in first.stdout
    again = stampbook(cli_db, tmp_path, "demo")  # idempotent: no duplicate data
    assert again.returncode == 0
    doctor = stampbook(cli_db, tmp_path, "doctor")
    assert doctor.returncode == 0
    assert doctor.stdout.startswith("ok")

    engine = create_engine(cli_db)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM shops")).scalar() == 1
        connection.execute(
            text(
                "UPDATE memberships SET balance = balance + 7 "
                "WHERE id = (SELECT min(id) FROM memberships)"
            )
        )
    engine.dispose()
    broken = stampbook(cli_db, tmp_path, "doctor")
    assert broken.returncode == 1
    assert "balance" in broken.stderr and "entries sum to" in broken.stderr


def test_create_admin(cli_db: str, tmp_path: Path) -> None:
    stampbook(cli_db, tmp_path, "db", "upgrade")
    result = stampbook(
        cli_db,
        tmp_path,
        "create-admin",
        "--email",
        "Root@Example.com",
        "--password",
        "a long admin password",
    )
    assert result.returncode == 0, result.stderr
    engine = create_engine(cli_db)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT email, is_admin FROM users")).one()
    engine.dispose()
    assert row == ("root@example.com", True)


def test_backup_and_restore_keep_every_point(cli_db: str, tmp_path: Path) -> None:
    assert stampbook(cli_db, tmp_path, "db", "upgrade").returncode == 0
    assert stampbook(cli_db, tmp_path, "demo").returncode == 0
    snapshot = tmp_path / "snapshot.backup"
    result = stampbook(cli_db, tmp_path, "backup", str(snapshot))
    assert result.returncode == 0, result.stderr

    with empty_database(tmp_path, "restored") as restored:
        result = stampbook(restored, tmp_path, "restore", str(snapshot))
        assert result.returncode == 0, result.stderr
        assert stampbook(restored, tmp_path, "doctor").returncode == 0
        assert _balances(restored) == _balances(cli_db)
        assert _balances(restored)


def _balances(url: str) -> list[tuple[int, int]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, balance FROM memberships ORDER BY id")).all()
    engine.dispose()
    return [(row[0], row[1]) for row in rows]
