"""The servers fault tests break: a private PostgreSQL and gunicorn, as production runs it.

The shared PostgreSQL other tests use must never be restarted, so these tests run their own:
``initdb`` into a temporary directory and ``pg_ctl`` on a free port. As root the binaries
run as the ``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

SERVER_BINARIES = "/usr/lib/postgresql/*/bin"


def find_bindir() -> Path | None:
    """The newest installed server's binaries (``initdb``, ``pg_ctl``), or None."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    candidates = sorted(
        (Path(d) for d in glob.glob(SERVER_BINARIES) if (Path(d) / "initdb").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PrivateServer:
    bindir: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/stampbook"

    def _run(self, *args: str, check: bool = True) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:1])} failed:\n{result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            # Durability is not what these tests are about; speed is welcome.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100 -c deadlock_timeout=200ms"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: open sessions are terminated, as in a restart or a failover."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self) -> None:
        admin = create_engine(
            self.url.replace("/stampbook", "/postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE stampbook"))
        admin.dispose()


def new_server(bindir: Path) -> PrivateServer:
    root = Path(tempfile.mkdtemp(prefix="stampbook-faults-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(root, postgres.pw_uid, postgres.pw_gid)
    return PrivateServer(bindir, root, free_port())


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    ready_dir: Path

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def ready_workers(self) -> list[int]:
        """The workers that have loaded the app (see ``faults_gunicorn``)."""
        ready = {int(path.name) for path in self.ready_dir.iterdir()}
        return sorted(ready.intersection(self.worker_pids()))

    def wait_for_ready_workers(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.ready_workers()) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} workers ready:\n{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_up(server: Gunicorn, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{server.port}/healthz", timeout=2
            ) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not come up in {timeout}s:\n{server.log_tail()}")


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], workdir: Path, *, workers: int = 3, threads: int = 4
) -> Iterator[Gunicorn]:
    """Serve ``app`` the way ``stampbook serve`` does (gthread workers), on a free port."""
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    log = workdir / "gunicorn.log"
    ready_dir = workdir / "ready"
    ready_dir.mkdir()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                app,
                "--bind",
                f"127.0.0.1:{port}",
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
                "--chdir",
                str(root),
                "--config",
                str(Path(__file__).with_name("faults_gunicorn.py")),
            ],
            env={**os.environ, **env, "FAULTS_READY_DIR": str(ready_dir)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(process, port, log, ready_dir)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
