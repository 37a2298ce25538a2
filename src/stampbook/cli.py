"""The ``stampbook`` command: serve, db upgrade, demo, doctor, create-admin."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
from alembic import command as alembic_command
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from stampbook import backup, domains
from stampbook.app import create_app
from stampbook.core import unit_of_work
from stampbook.migrations import alembic_config


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def main() -> None:
    """stampbook: a points-and-rewards platform."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at {revision}")


@main.command()
@with_appcontext
def demo() -> None:
    """Load the demo data (once; a second run changes nothing)."""
    accounts = unit_of_work.run(domains.load_demo)
    click.echo("Demo accounts (email / password):")
    for email, password in accounts:
        click.echo(f"  {email} / {password}")


@main.command()
@with_appcontext
def doctor() -> None:
    """Check that every balance (and earned and spent total) matches its ledger entries."""
    from stampbook.ledger.queries import find_discrepancies

    problems = unit_of_work.run(find_discrepancies, write=False)
    if not problems:
        click.echo("ok: every balance equals the sum of its entries")
        return
    for p in problems:
        click.echo(
            f"membership {p.membership_id}: balance {p.balance} but entries sum to {p.ledger_sum};"
            f" earned {p.earned} (entries {p.ledger_earned}), spent {p.spent} (entries"
            f" {p.ledger_spent})",
            err=True,
        )
    sys.exit(1)


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent snapshot of the database to TARGET."""
    backup.backup(current_app.config["DATABASE_URL"], target)
    click.echo(f"backed up to {target}")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore SOURCE into the (empty) database named by DATABASE_URL; then run doctor."""
    backup.restore(current_app.config["DATABASE_URL"], source)
    click.echo(f"restored from {source}")


@main.command()
@click.option(
    "--size",
    "sizes",
    multiple=True,
    type=click.Choice(["small", "large"]),
    help="Data sizes to run (default: both).",
)
@click.option("--seconds", default=10, show_default=True, help="Length of each load.")
@click.option(
    "--scenario",
    "only",
    multiple=True,
    help="Only the scenarios whose name contains this (and their baselines); repeatable.",
)
@click.option(
    "--output",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where BENCHMARKS.md and BENCHMARKS.json go.",
)
def bench(sizes: tuple[str, ...], seconds: int, output: Path, only: tuple[str, ...]) -> None:
    """Benchmark on PostgreSQL (BENCH_DATABASE_URL) with wrk; see BENCHMARKS.md."""
    from stampbook.bench.runner import main as run_bench

    sys.exit(run_bench(list(sizes) or ["small", "large"], seconds, output, list(only)))


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Admin")
@click.password_option()
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create a platform admin (or make an existing user one)."""
    from stampbook.accounts import queries, services

    def work() -> str:
        user = queries.find_by_email(email)
        if user is None:
            user = services.register(email=email, name=name, password=password)
        user.is_admin = True
        return user.email

    click.echo(f"{unit_of_work.run(work)} is a platform admin")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
@click.option("--workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", "2")), type=int)
@click.option("--threads", default=lambda: int(os.environ.get("WEB_THREADS", "4")), type=int)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the app: gunicorn when it is installed, Flask's server otherwise."""
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).parent / "gunicorn")
    if Path(gunicorn).exists():
        os.execv(
            gunicorn,
            [
                gunicorn,
                "stampbook.wsgi:app",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                "gthread",
                "--timeout",
                "30",
                "--graceful-timeout",
                "20",
                "--access-logfile",
                "-",
            ],
        )
    create_app().run(host=host, port=port)
