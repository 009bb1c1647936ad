"""A real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1 for tests and the demo.

The jars come from Maven Central through `mvn` (kafka/pom.xml next to this file) and are cached once
per user; the broker runs as `java kafka.Kafka` in a temporary folder that `stop()` removes.
`KAFKA_BOOTSTRAP_SERVERS` lets every caller use another broker instead (see `bootstrap_from_env`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectless_local.jvm_process import (
    JvmProcess,
    cache_base,
    copy_dependencies,
    file_lock,
    find_java,
    find_on_path,
    free_port,
    java_command,
    log4j2_file_config,
    logs_tail,
    read_marker,
    tail,
)

if TYPE_CHECKING:
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
    return find_java(
        ToolMissingError(
            "java not found on PATH: install a Java 17+ JDK (Debian: apt-get install openjdk-17-jdk-headless)"
        )
    )


def _find_mvn() -> str:
    return find_on_path(
        "mvn",
        ToolMissingError(
            "mvn not found on PATH: install Apache Maven to fetch the Kafka jars once (Debian: apt-get install maven)"
        ),
    )


# --------------------------------------------------------------------------- jars


def kafka_cache_dir(cache_dir: Path | None = None) -> Path:
    """Where the jars of KAFKA_VERSION live: <cache>/kafka-<version>/libs.

    <cache> is `cache_dir`, else $CONNECTLESS_CACHE_DIR, else ~/.cache/connectless.
    """
    return cache_base(cache_dir) / f"kafka-{KAFKA_VERSION}" / "libs"


def _pom_bytes() -> bytes:
    # Next to this file, not importlib.resources: that breaks when the package is seen as a namespace
    # package (an editable install made before __init__.py existed).
    return (Path(__file__).parent / "kafka" / "pom.xml").read_bytes()


def _cache_is_complete(libs: Path, pom_sha: str) -> bool:
    marker = read_marker(libs / _MARKER)
    jars = marker.get("jars") or []
    return (
        marker.get("kafka_version") == KAFKA_VERSION
        and marker.get("pom_sha256") == pom_sha  # a changed pom means a different classpath
        and bool(jars)
        and all((libs / jar).is_file() for jar in jars)
    )


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
    with file_lock(version_dir.parent / f"kafka-{KAFKA_VERSION}.lock"):
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
            log.info("fetching Apache Kafka %s jars with Maven into %s", KAFKA_VERSION, libs)
            code, jars, printed = copy_dependencies(mvn, work / "pom.xml", out)
            if code != 0 or not any(j.startswith("kafka_2.13-") for j in jars):
                raise KafkaFetchError(
                    f"mvn could not fetch Apache Kafka {KAFKA_VERSION} (exit {code}); "
                    "Maven Central must be reachable once:\n" + printed
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


# --------------------------------------------------------------------------- broker

_QUIET_LOGGERS = {
    # Per-request and per-partition chatter, useless for our tests.
    "kafka.request.logger": "WARN",
    "state.change.logger": "WARN",
    "org.apache.kafka.raft": "WARN",
    "org.apache.kafka.storage.internals": "WARN",
    "kafka.log": "WARN",
    # Every config object dumps all its values at INFO; server.properties sits next to the logs.
    "org.apache.kafka.common.config.AbstractConfig": "WARN",
}


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
        self._jvm: JvmProcess | None = None
        self._port: int | None = None
        self._command: list[str] = []

    # -- state

    @property
    def bootstrap_servers(self) -> str:
        if self._port is None or self._jvm is None:
            raise EmbeddedKafkaError("EmbeddedKafka is not started")
        return f"127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        return self._jvm.pid if self._jvm is not None else None

    @property
    def data_dir(self) -> Path | None:
        """The temporary folder (data, server.properties, logs/server.log); gone after stop()."""
        return self._jvm.folder if self._jvm is not None else None

    @property
    def log_file(self) -> Path | None:
        return self.data_dir / "logs" / "server.log" if self.data_dir else None

    def is_running(self) -> bool:
        return self._jvm is not None and self._jvm.is_running()

    # -- lifecycle

    def start(self) -> EmbeddedKafka:
        if self._jvm is not None:
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
        self._jvm = jvm = JvmProcess("Apache Kafka", _DIR_PREFIX, grace=self.stop_timeout)
        self._write_owner(java_pid=None)
        port, controller_port = free_port(), free_port()
        while controller_port == port:
            controller_port = free_port()
        logs = jvm.folder / "logs"
        logs.mkdir()
        log4j = jvm.folder / "log4j2.properties"
        log4j.write_text(log4j2_file_config(logs / "server.log", _QUIET_LOGGERS))
        props = jvm.folder / "server.properties"
        props.write_text(self._server_properties(port, controller_port))
        logging_options = [f"-Dlog4j2.configurationFile={log4j}", f"-Dkafka.logs.dir={logs}"]

        # A one-shot tool: start fast, no JIT warm-up.
        format_options = ["-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", *logging_options]
        format_args = ["format", "-t", _cluster_id(), "-c", str(props)]
        fmt = subprocess.run(
            java_command(java, format_options, [f"{libs}/*"], "kafka.tools.StorageTool", *format_args),
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
                + tail(logs / "server.log")
            )

        broker_options = [
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            # Kafka's own JVM flags (kafka-run-class.sh), plus dying on OOM instead of limping.
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            *logging_options,
        ]
        self._command = java_command(java, broker_options, [f"{libs}/*"], "kafka.Kafka", str(props))
        jvm.launch(self._command, logs / "console.log")
        self._port = port
        self._write_owner(java_pid=jvm.pid)
        self._wait_ready()
        log.info("Apache Kafka %s ready on %s (data in %s)", KAFKA_VERSION, self.bootstrap_servers, jvm.folder)

    def _server_properties(self, port: int, controller_port: int) -> str:
        assert self._jvm is not None
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self._jvm.folder / "data"),
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
        assert self._jvm is not None
        owner = {"python_pid": os.getpid(), "java_pid": java_pid, "pid_namespace": _pid_namespace()}
        (self._jvm.folder / _OWNER_FILE).write_text(json.dumps(owner))

    def _logs_tail(self) -> str:
        if self._jvm is None:
            return ""
        return logs_tail(self._jvm.folder / "logs" / name for name in ("console.log", "server.log"))

    def _wait_ready(self) -> None:
        """Wait until the broker answers a metadata request listing itself."""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        assert self._jvm is not None and self._port is not None
        port = self._port
        admin: Any = None
        last_error = "no answer yet"

        def lists_itself(seconds_left: float) -> bool:
            nonlocal admin, last_error
            # Plain TCP first: AdminClient before the listener exists would only log errors.
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            except OSError as exc:
                last_error = str(exc)
                return False
            if admin is None:
                conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers, "logger": _rdkafka_log}
                admin = AdminClient(conf)
            try:
                if admin.list_topics(timeout=min(2.0, max(0.1, seconds_left))).brokers:
                    return True
                last_error = "metadata lists no broker"
            except KafkaException as exc:
                last_error = str(exc)
            return False

        self._jvm.wait_until_ready(
            lists_itself,
            timeout=self.start_timeout,
            interval=0.2,
            exited=lambda code: KafkaStartError(
                f"Apache Kafka exited with code {code} while starting\n{self._logs_tail()}"
            ),
            timed_out=lambda: KafkaStartError(
                f"Apache Kafka did not answer on 127.0.0.1:{port} within {self.start_timeout:.0f}s "
                f"(last error: {last_error}); set {ENV_START_TIMEOUT} to wait longer\n{self._logs_tail()}"
            ),
        )

    def stop(self) -> None:
        """SIGTERM (Kafka's clean shutdown), SIGKILL after stop_timeout, then remove the folder."""
        self._cleanup()

    def stop_broker(self, *, kill: bool = False) -> None:
        """An outage: the broker process ends (cleanly, or SIGKILL with `kill`), its data, ports and folder stay;
        `restart_broker()` brings the same broker back. Clients see connection refused meanwhile."""
        if self._jvm is None:
            raise EmbeddedKafkaError("EmbeddedKafka is not started")
        self._jvm.halt(self.stop_timeout, kill=kill)

    def restart_broker(self) -> None:
        """The broker stopped by `stop_broker()` again, on the same data and ports; returns once it answers."""
        if self._jvm is None or self._jvm.is_running():
            raise EmbeddedKafkaError("restart_broker() follows stop_broker()")
        self._jvm.launch(self._command, self._jvm.folder / "logs" / "console.log")
        self._write_owner(java_pid=self._jvm.pid)
        self._wait_ready()

    def _cleanup(self) -> None:
        jvm, self._jvm = self._jvm, None
        if jvm is not None:
            jvm.stop(self.stop_timeout)
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
