"""The lifecycle shared by the local JVMs: embedded Kafka, embedded OpenSearch, the benchmark's Kafka Connect.

Find `java` and `mvn`, fetch jars with `mvn dependency:copy-dependencies` into a per-user cache, run
`java -cp <jars> Main` in its own session with its console in a log file, wait until a caller's check
says it is ready, and stop it with SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

__all__ = [
    "JvmProcess",
    "cache_base",
    "copy_dependencies",
    "file_lock",
    "find_java",
    "find_on_path",
    "free_port",
    "java_command",
    "launch",
    "log4j2_file_config",
    "logs_tail",
    "read_marker",
    "stop",
    "tail",
]

ENV_CACHE_DIR = "CONNECTLESS_CACHE_DIR"
_PR_SET_PDEATHSIG = 1

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- tools


def find_java(missing: Exception) -> str:
    """$JAVA_HOME/bin/java first, as Kafka's own scripts do, else `java` on PATH; raises `missing` if neither."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return find_on_path("java", missing)


def find_on_path(tool: str, missing: Exception) -> str:
    found = shutil.which(tool)
    if found is None:
        raise missing
    return found


# --------------------------------------------------------------------------- jars


def cache_base(cache_dir: Path | None = None) -> Path:
    """`cache_dir`, else $CONNECTLESS_CACHE_DIR, else ~/.cache/connectless."""
    if cache_dir is None:
        env = os.environ.get(ENV_CACHE_DIR)
        cache_dir = Path(env) if env else Path.home() / ".cache" / "connectless"
    return cache_dir.expanduser()


CACHE_MARKER = ".connectless-complete.json"  # written last into a cached build: its presence means complete


def sources_sha(folder: Path, names: Iterable[str]) -> str:
    """SHA-256 over the given source files of a cached build: a change to any of them rebuilds it."""
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def read_marker(path: Path) -> dict[str, Any]:
    """The JSON completion marker of a cache folder, empty when missing or unreadable."""
    try:
        marker = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released by the kernel if we die, so never stale
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def copy_dependencies(mvn: str, pom: Path, out: Path) -> tuple[int, list[str], str]:
    """`mvn dependency:copy-dependencies` of `pom` (runtime scope) into `out`.

    Returns mvn's exit code, the names of the jars in `out`, and the last 30 lines mvn printed.
    """
    cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies"]
    cmd += [f"-DoutputDirectory={out}", "-DincludeScope=runtime"]
    proc = subprocess.run(cmd, cwd=pom.parent, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    jars = sorted(p.name for p in out.glob("*.jar")) if out.is_dir() else []
    printed = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode, jars, "\n".join(printed[-30:])


# --------------------------------------------------------------------------- process


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (another process may still take it before we bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def java_command(
    java: str, options: Sequence[str], classpath: Sequence[str | Path], main: str, *args: str
) -> list[str]:
    """`java <options> -cp <classpath> <main> <args>`, the classpath entries joined with ':'."""
    return [java, *options, "-cp", os.pathsep.join(map(str, classpath)), main, *args]


def log4j2_file_config(
    log_file: Path,
    levels: Mapping[str, str],
    *,
    status: str = "warn",
    root_level: str = "INFO",
    pattern: str = "[%d] %p %m (%c)%n",
) -> str:
    """A log4j2.properties sending every log line to `log_file`, never to our stdout; `levels` by logger name."""
    lines = [
        f"status = {status}",
        "appender.file.type = File",
        "appender.file.name = FILE",
        f"appender.file.fileName = {log_file}",
        "appender.file.layout.type = PatternLayout",
        f"appender.file.layout.pattern = {pattern}",
        f"rootLogger.level = {root_level}",
        "rootLogger.appenderRef.file.ref = FILE",
    ]
    for n, (logger, level) in enumerate(levels.items(), 1):
        lines += [f"logger.l{n}.name = {logger}", f"logger.l{n}.level = {level}"]
    return "\n".join(lines) + "\n"


def _deathsig_preexec() -> Callable[[], None] | None:
    """A preexec_fn making the kernel SIGKILL the child when the thread that started it dies.

    PR_SET_PDEATHSIG fires on the death of the *thread* that forked, so it is used only from the
    main thread (whose end is the process's end); elsewhere atexit (and the caller's own sweep) remain.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved now: the child must do little
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def launch(command: Sequence[str], cwd: Path, console: Path, *, die_with_parent: bool) -> subprocess.Popen[bytes]:
    """Start `command` in `cwd`, its stdout and stderr into the file `console`.

    Its own session: a Ctrl-C in the terminal reaches only us, and we stop it cleanly. With
    `die_with_parent` the kernel kills it should we die without stopping it.
    """
    with console.open("wb") as out:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_deathsig_preexec() if die_with_parent else None,  # noqa: PLW1509 - only prctl runs in the child
        )


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # its own group (see launch): nothing of ours is in it


def stop(proc: subprocess.Popen[bytes], grace: float, name: str = "java") -> int:
    """SIGTERM (the JVM's clean shutdown), SIGKILL after `grace` seconds; returns the exit code."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            return proc.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0fs, killing it", name, grace)
            _signal_group(proc, signal.SIGKILL)
    return proc.wait()


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file (read from its last 64 KiB), empty if it cannot be read."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def logs_tail(files: Iterable[Path], lines: int = 40, header: str = "--- {} (tail) ---") -> str:
    """The tails of the log files that have any text, each under `header` formatted with its name."""
    parts = []
    for path in files:
        text = tail(path, lines)
        if text.strip():
            parts.append(f"{header.format(path.name)}\n{text}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- one JVM in a temporary folder

_live: weakref.WeakSet[JvmProcess] = weakref.WeakSet()


@atexit.register
def _stop_all_at_exit() -> None:
    for jvm in list(_live):
        with contextlib.suppress(Exception):
            jvm.stop()


class JvmProcess:
    """A JVM and the temporary folder it runs in: `stop()` or `kill()` ends the one and removes the other.

    One still running when the interpreter exits is stopped then, in case its owner could not.
    """

    def __init__(self, name: str, dir_prefix: str, grace: float = 30.0) -> None:
        self.name = name  # in log lines: "Apache Kafka did not stop in 30s, killing it"
        self.grace = grace
        self.folder = Path(tempfile.mkdtemp(prefix=dir_prefix))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def launch(self, command: Sequence[str], console: Path) -> None:
        """Start `command` in the folder, its console into `console`; it dies with this (main) thread."""
        self.proc = launch(command, self.folder, console, die_with_parent=True)
        _live.add(self)

    def wait_until_ready(
        self,
        is_ready: Callable[[float], bool],
        *,
        timeout: float,
        interval: float,
        exited: Callable[[int], Exception],
        timed_out: Callable[[], Exception],
    ) -> None:
        """Poll `is_ready(seconds left)` every `interval` seconds until it says yes.

        Raises `exited(exit code)` if the JVM ends first, `timed_out()` after `timeout` seconds.
        """
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise exited(code)
            if is_ready(deadline - time.monotonic()):
                return
            time.sleep(interval)
        raise timed_out()

    def stop(self, grace: float | None = None) -> None:
        """SIGTERM, SIGKILL after `grace` seconds (default: the one given at construction), remove the folder."""
        if self.proc is not None:
            stop(self.proc, self.grace if grace is None else grace, self.name)
        self._remove()

    def halt(self, grace: float | None = None, *, kill: bool = False) -> None:
        """End the JVM (SIGTERM then SIGKILL after `grace`, or SIGKILL at once) and keep the folder: `launch`
        runs it again on the same data."""
        if self.proc is not None and self.proc.poll() is None:
            if kill:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait()
            else:
                stop(self.proc, self.grace if grace is None else grace, self.name)

    def kill(self) -> None:
        """SIGKILL at once (a start that failed has nothing to shut down cleanly), remove the folder."""
        if self.proc is not None and self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGKILL)
            self.proc.wait()
        self._remove()

    def _remove(self) -> None:
        _live.discard(self)
        shutil.rmtree(self.folder, ignore_errors=True)
