"""The `stampbook` command against a real database file / PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

BIN = Path(sys.executable).parent / "stampbook"


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for the command to migrate."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    name = f"stampbook_cli_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(configured).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(configured).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
