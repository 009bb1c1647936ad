"""Throwaway PostgreSQL and MariaDB servers from Debian's packages, on free 127.0.0.1 ports in temp dirs.

`ensure_installed()` runs infra/local/install-databases.sh when a server is missing. PostgreSQL refuses to
run as root, so as root it runs as the `postgres` user the package creates. `stop()`/`start()` again on the
same data directory simulate an outage.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ensure_installed() -> None:
    if _pg_bin() is None or _mariadbd() is None:
        subprocess.run(["bash", str(ROOT / "infra" / "local" / "install-databases.sh")], check=True)


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _mariadbd() -> str | None:
    return (
        shutil.which("mariadbd")
        or shutil.which("mysqld")
        or ("/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes] | None, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s: {log.read_text(errors='replace')[-2000:]}")


class PostgresServer:
    """`dsn` is a libpq URL for database `postgres`, user `postgres`, no password (trust on 127.0.0.1)."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (infra/local/install-databases.sh)")
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="connectless-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # As root, run as the package's `postgres` user (Popen's user=, so the child is postgres itself).
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            shutil.chown(self.dir, self._user)
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True, user=self._user, cwd=self.dir,
        )  # fmt: skip

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        if self._user and not self.log.exists():
            self.log.touch()
            shutil.chown(self.log, self._user)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.dir), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB"],
                stdout=out, stderr=subprocess.STDOUT, user=self._user, cwd=self.dir,
            )  # fmt: skip
        _wait_port(self.port, self.process, self.log)
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.dsn, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: clients are disconnected
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class MariaDBServer:
    """`params` are PyMySQL connect() arguments; grant tables are skipped, so any user may connect."""

    def __init__(self) -> None:
        daemon = _mariadbd()
        if daemon is None:
            raise RuntimeError("MariaDB is not installed (infra/local/install-databases.sh)")
        self.daemon = daemon
        self.dir = Path(tempfile.mkdtemp(prefix="connectless-mariadb-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db") or "mariadb-install-db"
        subprocess.run(
            [install, "--no-defaults", f"--datadir={self.data}", "--auth-root-authentication-method=normal",
             "--skip-test-db", f"--user={self._user()}"],
            check=True, capture_output=True,
        )  # fmt: skip

    @staticmethod
    def _user() -> str:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name

    @property
    def params(self) -> dict[str, object]:
        return {"host": "127.0.0.1", "port": self.port, "user": "root", "password": ""}

    def url(self, database: str) -> str:
        return f"jdbc:mariadb://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [self.daemon, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
                 "--bind-address=127.0.0.1", f"--socket={self.dir / 'mysqld.sock'}", f"--user={self._user()}",
                 "--skip-grant-tables", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                 "--innodb-flush-log-at-trx-commit=0", f"--pid-file={self.dir / 'mysqld.pid'}"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_port(self.port, self.process, self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
