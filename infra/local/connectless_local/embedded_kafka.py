"""A real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1 for tests and the demo.

The jars come from Maven Central through `mvn` (kafka/pom.xml next to this file) and are cached once
per user; the broker runs as `java kafka.Kafka` in a temporary folder that `stop()` removes.
`KAFKA_BOOTSTRAP_SERVERS` lets every caller use another broker instead (see `bootstrap_from_env`).
"""

from __future__ import annotations

import atexit
import base64
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
import uuid
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType, TracebackType

__all__ = [
    "KAFKA_VERSION",
    "EmbeddedKafka",
    "EmbeddedKafkaError",
    "KafkaFetchError",
    "KafkaStartError",
    "ToolMissingError",
    "bootstrap_from_env",
    "fetch_kafka_jars",
    "kafka_cache_dir",
    "run_foreground",
]

KAFKA_VERSION = "4.1.1"  # keep in step with kafka.version in kafka/pom.xml

ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS"
ENV_CACHE_DIR = "CONNECTLESS_CACHE_DIR"
ENV_HEAP = "CONNECTLESS_KAFKA_HEAP"
ENV_START_TIMEOUT = "CONNECTLESS_KAFKA_START_TIMEOUT"
DEFAULT_HEAP = "512m"
DEFAULT_START_TIMEOUT = 60.0

_MARKER = ".connectless-complete.json"
_DIR_PREFIX = "connectless-kafka-"
_OWNER_FILE = "owner.json"
_PR_SET_PDEATHSIG = 1

log = logging.getLogger(__name__)
# librdkafka prints every refused connection to stderr while the broker boots; route it to logging.
_rdkafka_log = logging.getLogger(__name__ + ".rdkafka")


class EmbeddedKafkaError(RuntimeError):
    """Base of everything this module raises on purpose."""


class ToolMissingError(EmbeddedKafkaError):
    """`java` or `mvn` is not installed; the message says what to install."""


class KafkaFetchError(EmbeddedKafkaError):
    """`mvn` failed to fetch the Kafka jars."""


class KafkaStartError(EmbeddedKafkaError):
    """The broker did not come up; the message carries the tail of its logs."""


# --------------------------------------------------------------------------- tools


def _find_java() -> str:
    # JAVA_HOME first, as Kafka's own scripts do, so a non-default JDK can be picked.
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise ToolMissingError(
            "java not found on PATH: install a Java 17+ JDK (Debian: apt-get install openjdk-17-jdk-headless)"
        )
    return found


def _find_mvn() -> str:
    found = shutil.which("mvn")
    if found is None:
        raise ToolMissingError(
            "mvn not found on PATH: install Apache Maven to fetch the Kafka jars once (Debian: apt-get install maven)"
        )
    return found


# --------------------------------------------------------------------------- jars


def kafka_cache_dir(cache_dir: Path | None = None) -> Path:
    """Where the jars of KAFKA_VERSION live: <cache>/kafka-<version>/libs.

    <cache> is `cache_dir`, else $CONNECTLESS_CACHE_DIR, else ~/.cache/connectless.
    """
    if cache_dir is None:
        env = os.environ.get(ENV_CACHE_DIR)
        cache_dir = Path(env) if env else Path.home() / ".cache" / "connectless"
    return cache_dir.expanduser() / f"kafka-{KAFKA_VERSION}" / "libs"


def _pom_bytes() -> bytes:
    # Next to this file, not importlib.resources: that breaks when the package is seen as a namespace
    # package (an editable install made before __init__.py existed).
    return (Path(__file__).parent / "kafka" / "pom.xml").read_bytes()


def _cache_is_complete(libs: Path, pom_sha: str) -> bool:
    try:
        marker = json.loads((libs / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    jars = marker.get("jars") or []
    return (
        marker.get("kafka_version") == KAFKA_VERSION
        and marker.get("pom_sha256") == pom_sha  # a changed pom means a different classpath
        and bool(jars)
        and all((libs / jar).is_file() for jar in jars)
    )


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released by the kernel if we die, so never stale
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch_kafka_jars(cache_dir: Path | None = None) -> Path:
    """Return the directory holding every jar of the broker, running `mvn` only if it is incomplete.

    Safe against crashes (jars land in a temporary sibling renamed into place with its marker) and
    against concurrent callers (an exclusive file lock around the check-and-fetch).
    """
    libs = kafka_cache_dir(cache_dir)
    pom = _pom_bytes()
    pom_sha = hashlib.sha256(pom).hexdigest()
    if _cache_is_complete(libs, pom_sha):
        return libs

    version_dir = libs.parent
    with _file_lock(version_dir.parent / f"kafka-{KAFKA_VERSION}.lock"):
        if _cache_is_complete(libs, pom_sha):  # another process fetched while we waited
            return libs
        mvn = _find_mvn()
        version_dir.mkdir(parents=True, exist_ok=True)
        # Leftovers of a crashed fetch: we hold the lock, so nobody else is using them.
        for stale in version_dir.glob(".libs-*"):
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".libs-", dir=version_dir))
        try:
            out = work / "libs"
            (work / "pom.xml").write_bytes(pom)
            cmd = [
                mvn,
                "-q",
                "-B",
                "-f",
                str(work / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={out}",
                "-DincludeScope=runtime",
            ]
            log.info("fetching Apache Kafka %s jars with Maven into %s", KAFKA_VERSION, libs)
            proc = subprocess.run(cmd, cwd=work, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
            jars = sorted(p.name for p in out.glob("*.jar")) if out.is_dir() else []
            if proc.returncode != 0 or not any(j.startswith("kafka_2.13-") for j in jars):
                tail = _strip_ansi(proc.stdout + proc.stderr).strip().splitlines()[-30:]
                raise KafkaFetchError(
                    f"mvn could not fetch Apache Kafka {KAFKA_VERSION} (exit {proc.returncode}); "
                    "Maven Central must be reachable once:\n" + "\n".join(tail)
                )
            marker = {"kafka_version": KAFKA_VERSION, "pom_sha256": pom_sha, "jars": jars}
            (out / _MARKER).write_text(json.dumps(marker, indent=1))
            if libs.exists():  # an incomplete or outdated cache: replace it whole
                old = work / "old"
                libs.rename(old)
            out.rename(libs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return libs


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# --------------------------------------------------------------------------- broker

_LOG4J2 = """\
# Written by connectless_local.embedded_kafka: the broker logs to a file, never to our stdout.
status = warn
name = connectless-embedded-kafka
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# Per-request and per-partition chatter, useless for our tests.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
logger.storage.name = org.apache.kafka.storage.internals
logger.storage.level = WARN
logger.logmgr.name = kafka.log
logger.logmgr.level = WARN
# Every config object dumps all its values at INFO; server.properties sits next to this file.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
"""

_live: weakref.WeakSet[EmbeddedKafka] = weakref.WeakSet()


@atexit.register
def _stop_all_at_exit() -> None:
    for broker in list(_live):
        with contextlib.suppress(Exception):
            broker.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cluster_id() -> str:
    # Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64 without padding, never a leading '-'
    # (saves a JVM start compared with `StorageTool random-uuid`).
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead: it only waits for its (possibly slow, e.g. a container's) init to reap it.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :][:1] != "Z"


def _pid_namespace() -> str:
    try:
        return str(Path("/proc/self/ns/pid").readlink())
    except OSError:
        return ""


def _sweep_stale_dirs() -> None:
    """Remove data folders left by brokers whose Python parent was SIGKILLed (atexit never ran).

    Only folders of this user and this PID namespace whose owner and java are both dead, so a
    broker of a colleague in another container sharing /tmp is never touched.
    """
    ns = _pid_namespace()
    for d in Path(tempfile.gettempdir()).glob(_DIR_PREFIX + "*"):
        try:
            if d.stat().st_uid != os.getuid():
                continue
            owner = json.loads((d / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if owner.get("pid_namespace") != ns or not ns:
            continue
        if _pid_alive(owner.get("python_pid")) or _pid_alive(owner.get("java_pid")):
            continue
        shutil.rmtree(d, ignore_errors=True)


def _deathsig_preexec() -> Callable[[], None] | None:
    """A preexec_fn making the kernel SIGKILL the broker when the thread that started it dies.

    PR_SET_PDEATHSIG fires on the death of the *thread* that forked, so it is used only from the
    main thread (whose end is the process's end); elsewhere atexit and the data sweep remain.
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


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


class EmbeddedKafka:
    """One Apache Kafka KRaft node (broker+controller) on 127.0.0.1, in a temporary folder.

    >>> with EmbeddedKafka() as kafka:
    ...     produce_to(kafka.bootstrap_servers)
    """

    def __init__(
        self,
        *,
        heap: str | None = None,
        start_timeout: float | None = None,
        stop_timeout: float = 30.0,
        cache_dir: Path | None = None,
        extra_properties: dict[str, str] | None = None,
    ) -> None:
        self.heap = heap or os.environ.get(ENV_HEAP) or DEFAULT_HEAP
        self.start_timeout = start_timeout or float(os.environ.get(ENV_START_TIMEOUT) or DEFAULT_START_TIMEOUT)
        self.stop_timeout = stop_timeout
        self.cache_dir = cache_dir
        self.extra_properties = dict(extra_properties or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._port: int | None = None

    # -- state

    @property
    def bootstrap_servers(self) -> str:
        if self._port is None or self._proc is None:
            raise EmbeddedKafkaError("EmbeddedKafka is not started")
        return f"127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def data_dir(self) -> Path | None:
        """The temporary folder (data, server.properties, logs/server.log); gone after stop()."""
        return self._dir

    @property
    def log_file(self) -> Path | None:
        return self._dir / "logs" / "server.log" if self._dir else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle

    def start(self) -> EmbeddedKafka:
        if self._proc is not None:
            raise EmbeddedKafkaError("EmbeddedKafka is already started")
        java = _find_java()  # before mvn: a missing JDK is the more basic problem
        libs = fetch_kafka_jars(self.cache_dir)
        _sweep_stale_dirs()
        # Free ports are picked then released, so another process may grab one before the broker
        # binds it: retry a couple of times on "Address already in use".
        for attempt in range(3):
            try:
                self._start_once(java, libs)
                return self
            except KafkaStartError as exc:
                in_use = "Address already in use" in str(exc)
                self._cleanup()
                if not in_use or attempt == 2:
                    raise
                log.warning("port taken while Kafka started, retrying with new ports")
            except BaseException:
                self._cleanup()  # including KeyboardInterrupt: never leave a broker behind
                raise
        raise AssertionError("unreachable")

    def _start_once(self, java: str, libs: Path) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix=_DIR_PREFIX))
        self._write_owner(java_pid=None)
        port, controller_port = _free_port(), _free_port()
        while controller_port == port:
            controller_port = _free_port()
        logs = self._dir / "logs"
        logs.mkdir()
        log4j = self._dir / "log4j2.properties"
        log4j.write_text(_LOG4J2.format(log_file=logs / "server.log"))
        props = self._dir / "server.properties"
        props.write_text(self._server_properties(port, controller_port))
        classpath = f"{libs}/*"
        common = [f"-Dlog4j2.configurationFile={log4j}", f"-Dkafka.logs.dir={logs}", "-cp", classpath]

        fmt = subprocess.run(
            [
                java,
                "-Xmx128m",
                "-XX:TieredStopAtLevel=1",  # a one-shot tool: start fast, no JIT warm-up
                "-XX:+UseSerialGC",
                *common,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                _cluster_id(),
                "-c",
                str(props),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            raise KafkaStartError(
                f"formatting the KRaft storage failed (exit {fmt.returncode}):\n"
                + (fmt.stdout + fmt.stderr).strip()
                + "\n"
                + _tail(logs / "server.log")
            )

        console = logs / "console.log"
        with console.open("wb") as out:
            self._proc = subprocess.Popen(
                [
                    java,
                    f"-Xms{self.heap}",
                    f"-Xmx{self.heap}",
                    # Kafka's own JVM flags (kafka-run-class.sh), plus dying on OOM instead of limping.
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-XX:InitiatingHeapOccupancyPercent=35",
                    "-XX:+ExplicitGCInvokesConcurrent",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-Djava.awt.headless=true",
                    *common,
                    "kafka.Kafka",
                    str(props),
                ],
                cwd=self._dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C in the terminal reaches us, and we stop the broker cleanly.
                start_new_session=True,
                preexec_fn=_deathsig_preexec(),  # noqa: PLW1509 - only prctl runs in the child
            )
        self._port = port
        _live.add(self)
        self._write_owner(java_pid=self._proc.pid)
        self._wait_ready()
        log.info("Apache Kafka %s ready on %s (data in %s)", KAFKA_VERSION, self.bootstrap_servers, self._dir)

    def _server_properties(self, port: int, controller_port: int) -> str:
        assert self._dir is not None
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self._dir / "data"),
            # One node: every internal topic must accept replication factor and ISR 1.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Creating 50 partitions per internal topic on first use costs seconds on a small machine.
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.num.partitions": "5",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "num.partitions": "1",
            # The cleaner's dedupe buffer (128 MiB by default) lives on the small heap; compaction
            # must stay on because Connect's config/status/offsets topics are compacted.
            "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        }
        props.update(self.extra_properties)
        return "".join(f"{k}={v}\n" for k, v in props.items())

    def _write_owner(self, java_pid: int | None) -> None:
        assert self._dir is not None
        owner = {"python_pid": os.getpid(), "java_pid": java_pid, "pid_namespace": _pid_namespace()}
        (self._dir / _OWNER_FILE).write_text(json.dumps(owner))

    def _logs_tail(self) -> str:
        if self._dir is None:
            return ""
        parts = []
        for name in ("console.log", "server.log"):
            text = _tail(self._dir / "logs" / name)
            if text.strip():
                parts.append(f"--- {name} (tail) ---\n{text}")
        return "\n".join(parts)

    def _wait_ready(self) -> None:
        """Wait until the broker answers a metadata request listing itself."""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        assert self._proc is not None and self._port is not None
        deadline = time.monotonic() + self.start_timeout
        admin: Any = None
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                raise KafkaStartError(f"Apache Kafka exited with code {code} while starting\n{self._logs_tail()}")
            # Plain TCP first: AdminClient before the listener exists would only log errors.
            try:
                socket.create_connection(("127.0.0.1", self._port), timeout=0.5).close()
            except OSError as exc:
                last_error = str(exc)
                time.sleep(0.2)
                continue
            if admin is None:
                conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers, "logger": _rdkafka_log}
                admin = AdminClient(conf)
            try:
                md = admin.list_topics(timeout=min(2.0, max(0.1, deadline - time.monotonic())))
                if md.brokers:
                    return
                last_error = "metadata lists no broker"
            except KafkaException as exc:
                last_error = str(exc)
            time.sleep(0.2)
        raise KafkaStartError(
            f"Apache Kafka did not answer on 127.0.0.1:{self._port} within {self.start_timeout:.0f}s "
            f"(last error: {last_error}); set {ENV_START_TIMEOUT} to wait longer\n{self._logs_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM (Kafka's clean shutdown), SIGKILL after stop_timeout, then remove the folder."""
        self._cleanup()

    def _cleanup(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)  # its own group: nothing of ours is in it
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    log.warning("Apache Kafka did not stop in %.0fs, killing it", self.stop_timeout)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            _live.discard(self)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._port = None

    def __enter__(self) -> EmbeddedKafka:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def bootstrap_from_env() -> str | None:
    """The broker named by KAFKA_BOOTSTRAP_SERVERS, if any: then nothing needs starting."""
    value = os.environ.get(ENV_BOOTSTRAP, "").strip()
    return value or None


class _Terminate(BaseException):
    """Raised by our SIGINT/SIGTERM handler to unwind out of start() or the wait loop."""


def run_foreground() -> int:
    """`connectless dev kafka`: print the bootstrap address, serve until SIGINT/SIGTERM, stop cleanly."""
    existing = bootstrap_from_env()
    if existing:
        print(f"{ENV_BOOTSTRAP} is set: using the broker at {existing}, starting nothing", file=sys.stderr)
        print(existing, flush=True)
        return 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise _Terminate

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for sig in handled:
        signal.signal(sig, on_signal)
    kafka = EmbeddedKafka()
    try:
        try:
            kafka.start()
            print(kafka.bootstrap_servers, flush=True)
            print(
                f"Apache Kafka {KAFKA_VERSION} ready; data and logs in {kafka.data_dir}; Ctrl-C to stop",
                file=sys.stderr,
                flush=True,
            )
            while kafka.is_running():
                time.sleep(0.5)
        except _Terminate:
            return 0
        except EmbeddedKafkaError as exc:
            print(f"connectless dev kafka: {exc}", file=sys.stderr)
            return 2
        # The broker died under us (OOM, disk full, killed): say so with its last words.
        print(f"connectless dev kafka: Apache Kafka exited unexpectedly\n{kafka._logs_tail()}", file=sys.stderr)
        return 1
    finally:
        for sig in handled:  # a second Ctrl-C must not interrupt the clean shutdown
            signal.signal(sig, signal.SIG_IGN)
        kafka.stop()
