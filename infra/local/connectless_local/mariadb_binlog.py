"""A throwaway MariaDB (or MySQL) server with the row binlog on, for the CDC tests and the MySQL demo.

The server comes from Debian's packages (`apt-get install mariadb-server` when missing, as root); it runs on
a free 127.0.0.1 port in a temporary folder with `log-bin`, `binlog_format=ROW`, `binlog_row_image=FULL`,
`binlog_row_metadata=FULL` (column names in every table map), a server id and GTIDs, and gets a `cdc` user
with every privilege. `stop()` and `start()` on the same folder simulate an outage.

Example:
    with MariaDBBinlogServer() as db:
        pymysql.connect(**db.params)
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["CDC_PASSWORD", "CDC_USER", "MariaDBBinlogServer", "ensure_mariadb_installed"]

CDC_USER = "cdc"
CDC_PASSWORD = "cdc-secret"  # noqa: S105 - a throwaway local server's test account


def _daemon() -> str | None:
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
        if found:
            return found
    return None


def ensure_mariadb_installed() -> str:
    """The server binary, installing Debian's mariadb-server first when it is missing."""
    daemon = _daemon()
    if daemon is None:
        if shutil.which("apt-get") is None:
            raise RuntimeError("MariaDB is not installed: install mariadb-server (Debian/Ubuntu)")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "mariadb-server"], check=True, env=env
        )
        daemon = _daemon()
    if daemon is None:
        raise RuntimeError("mariadb-server installed but no mariadbd/mysqld found")
    return daemon


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MariaDBBinlogServer:
    """`params` are PyMySQL connect() arguments for the `cdc` user (all privileges, on 127.0.0.1)."""

    def __init__(self, *, server_id: int = 1, gtid: bool = True) -> None:
        self.daemon = ensure_mariadb_installed()
        self.server_id = server_id
        self.gtid = gtid
        self.dir = Path(tempfile.mkdtemp(prefix="connectless-mariadb-binlog-"))
        self.data = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db") or "mariadb-install-db"
        subprocess.run(
            [install, "--no-defaults", f"--datadir={self.data}", f"--user={self.user}",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip
        self._initialised = False

    @property
    def params(self) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.port, "user": CDC_USER, "password": CDC_PASSWORD}

    def start(self) -> MariaDBBinlogServer:
        args = [
            self.daemon, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
            "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--user={self.user}",
            f"--pid-file={self.dir / 'mysqld.pid'}", f"--server-id={self.server_id}",
            f"--log-bin={self.data / 'binlog'}", "--binlog-format=ROW", "--binlog-row-image=FULL",
            "--binlog-row-metadata=FULL",
            "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--skip-name-resolve",
            "--max-connections=50", "--performance-schema=OFF",
        ]  # fmt: skip
        if self.gtid:
            args += ["--gtid-strict-mode=ON", "--log-slave-updates=ON"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_listening()
        if not self._initialised:
            self._root_sql(
                f"CREATE USER IF NOT EXISTS '{CDC_USER}'@'%' IDENTIFIED BY '{CDC_PASSWORD}';"
                f"GRANT ALL PRIVILEGES ON *.* TO '{CDC_USER}'@'%' WITH GRANT OPTION;"
                "FLUSH PRIVILEGES;"
            )
            self._initialised = True
        return self

    def _root_sql(self, sql: str) -> None:
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client is not None:
            subprocess.run(
                [client, "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", sql],
                check=True, capture_output=True,
            )  # fmt: skip
            return
        import pymysql

        conn = pymysql.connect(unix_socket=str(self.socket), user="root", password="", autocommit=True)
        with conn, conn.cursor() as cur:
            for statement in filter(None, (s.strip() for s in sql.split(";"))):
                cur.execute(statement)

    def _wait_listening(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited ({self.process.returncode}): {self._tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.1)
        raise RuntimeError(f"mariadbd did not listen on {self.port} within {timeout}s: {self._tail()}")

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

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

    def __enter__(self) -> MariaDBBinlogServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.destroy()
