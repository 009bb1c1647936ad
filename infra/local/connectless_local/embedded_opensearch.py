"""A real single-node OpenSearch on 127.0.0.1 for tests and demos, from Maven Central's jars.

OpenSearch publishes its server as `org.opensearch:opensearch` and its HTTP layer as the
`transport-netty4-client` plugin, but no runnable distribution on Maven Central. So: `mvn` resolves the
jars (infra/local/opensearch/pom.xml), `javac` compiles the small launcher next to it
(OpenSearchLauncher.java drives `org.opensearch.node.Node` directly), both cached once per user, and
the node runs in a temporary folder that `stop()` removes. `OPENSEARCH_URL` lets every caller use
another server (an OpenSearch or Elasticsearch) instead (see `url_from_env`).

Example:
    with EmbeddedOpenSearch() as node:
        requests.get(node.url)
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from connectless_local.embedded_kafka import (
    EmbeddedKafkaError,
    _deathsig_preexec,
    _file_lock,
    _find_java,
    _find_mvn,
    _free_port,
    _strip_ansi,
    _tail,
)

if TYPE_CHECKING:
    from types import TracebackType

__all__ = [
    "OPENSEARCH_VERSION",
    "EmbeddedOpenSearch",
    "OpenSearchStartError",
    "fetch_opensearch",
    "url_from_env",
]

OPENSEARCH_VERSION = "2.19.6"  # keep in step with opensearch.version in infra/local/opensearch/pom.xml

ENV_URL = "OPENSEARCH_URL"
ENV_CACHE_DIR = "CONNECTLESS_CACHE_DIR"
ENV_HEAP = "CONNECTLESS_OPENSEARCH_HEAP"
DEFAULT_HEAP = "384m"
DEFAULT_START_TIMEOUT = 120.0
LAUNCHER = "OpenSearchLauncher"

_SOURCES = Path(__file__).resolve().parents[1] / "opensearch"
_MARKER = ".connectless-complete.json"

log = logging.getLogger(__name__)

_LOG4J2 = """\
# Written by connectless_local.embedded_opensearch: the node logs to a file, never to our stdout.
status = error
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %c{{1}} %m%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.node.name = org.opensearch.node.Node
logger.node.level = INFO
"""


class OpenSearchStartError(EmbeddedKafkaError):
    """The jars could not be fetched, the launcher not compiled, or the node did not come up."""


def url_from_env() -> str | None:
    """$OPENSEARCH_URL (e.g. http://127.0.0.1:9200) when set: use that server instead of starting one."""
    return os.environ.get(ENV_URL) or None


def _cache_root(cache_dir: Path | None) -> Path:
    if cache_dir is None:
        env = os.environ.get(ENV_CACHE_DIR)
        cache_dir = Path(env) if env else Path.home() / ".cache" / "connectless"
    return cache_dir.expanduser() / f"opensearch-{OPENSEARCH_VERSION}"


def _sources_sha() -> str:
    digest = hashlib.sha256()
    for name in ("pom.xml", f"{LAUNCHER}.java"):
        digest.update((_SOURCES / name).read_bytes())
    return digest.hexdigest()


def _complete(root: Path, sha: str) -> bool:
    try:
        marker = json.loads((root / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    jars = marker.get("jars") or []
    return (
        marker.get("sha256") == sha
        and bool(jars)
        and all((root / "libs" / jar).is_file() for jar in jars)
        and (root / "classes" / f"{LAUNCHER}.class").is_file()
    )


def fetch_opensearch(cache_dir: Path | None = None) -> Path:
    """Return the folder with libs/ (every jar) and classes/ (the launcher), fetching and compiling once.

    Crash-safe (built in a temporary sibling renamed into place) and safe against concurrent callers.
    """
    root = _cache_root(cache_dir)
    sha = _sources_sha()
    if _complete(root, sha):
        return root
    with _file_lock(root.parent / f"{root.name}.lock"):
        if _complete(root, sha):
            return root
        java = _find_java()
        javac = str(Path(java).with_name("javac"))
        if not os.access(javac, os.X_OK):
            javac = shutil.which("javac") or javac
        mvn = _find_mvn()
        root.parent.mkdir(parents=True, exist_ok=True)
        for stale in root.parent.glob(f".{root.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
        try:
            shutil.copy(_SOURCES / "pom.xml", work / "pom.xml")
            libs = work / "libs"
            cmd = [mvn, "-q", "-B", "-f", str(work / "pom.xml"), "dependency:copy-dependencies"]
            cmd += [f"-DoutputDirectory={libs}", "-DincludeScope=runtime"]
            log.info("fetching OpenSearch %s jars with Maven into %s", OPENSEARCH_VERSION, root)
            proc = subprocess.run(cmd, cwd=work, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
            jars = sorted(p.name for p in libs.glob("*.jar")) if libs.is_dir() else []
            if proc.returncode != 0 or f"opensearch-{OPENSEARCH_VERSION}.jar" not in jars:
                tail = _strip_ansi(proc.stdout + proc.stderr).strip().splitlines()[-30:]
                raise OpenSearchStartError(
                    f"mvn could not fetch OpenSearch {OPENSEARCH_VERSION} (exit {proc.returncode}):\n" + "\n".join(tail)
                )
            classes = work / "classes"
            compiled = subprocess.run(
                [javac, "-cp", f"{libs}/*", "-d", str(classes), str(_SOURCES / f"{LAUNCHER}.java")],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if compiled.returncode != 0:
                raise OpenSearchStartError(f"javac failed on {LAUNCHER}.java:\n{compiled.stdout}{compiled.stderr}")
            (work / _MARKER).write_text(json.dumps({"sha256": sha, "jars": jars}, indent=1))
            if root.exists():
                root.rename(work / "old")
            work.rename(root)
            shutil.rmtree(root / "old", ignore_errors=True)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return root


_live: weakref.WeakSet[EmbeddedOpenSearch] = weakref.WeakSet()


@atexit.register
def _stop_all_at_exit() -> None:
    for node in list(_live):
        with contextlib.suppress(Exception):
            node.stop()


class EmbeddedOpenSearch:
    """One OpenSearch node (HTTP on 127.0.0.1, no security, single-node discovery) in a temporary folder."""

    def __init__(
        self, *, heap: str | None = None, start_timeout: float = DEFAULT_START_TIMEOUT, cache_dir: Path | None = None
    ) -> None:
        self.heap = heap or os.environ.get(ENV_HEAP) or DEFAULT_HEAP
        self.start_timeout = start_timeout
        self.cache_dir = cache_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None or self._proc is None:
            raise OpenSearchStartError("EmbeddedOpenSearch is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path | None:
        return self._dir / "logs" / "node.log" if self._dir else None

    def start(self) -> EmbeddedOpenSearch:
        if self._proc is not None:
            raise OpenSearchStartError("EmbeddedOpenSearch is already started")
        java = _find_java()
        root = fetch_opensearch(self.cache_dir)
        for attempt in range(3):  # a free port may be taken before the node binds it
            try:
                self._start_once(java, root)
                return self
            except OpenSearchStartError as exc:
                self._cleanup()
                if "BindException" not in str(exc) or attempt == 2:
                    raise
            except BaseException:
                self._cleanup()
                raise
        raise AssertionError("unreachable")

    def _start_once(self, java: str, root: Path) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="connectless-opensearch-"))
        (self._dir / "config").mkdir()
        logs = self._dir / "logs"
        logs.mkdir()
        log4j = self._dir / "log4j2.properties"
        log4j.write_text(_LOG4J2.format(log_file=logs / "node.log"))
        self.port = _free_port()
        console = logs / "console.log"
        with console.open("wb") as out:
            self._proc = subprocess.Popen(
                [
                    java,
                    f"-Xms{self.heap}",
                    f"-Xmx{self.heap}",
                    "-XX:+UseSerialGC",  # one small node on a shared 2-core machine
                    "-XX:+ExitOnOutOfMemoryError",
                    "-Djava.awt.headless=true",
                    "-Dlog4j2.disable.jmx=true",
                    "-Dlog4j.shutdownHookEnabled=false",
                    f"-Dlog4j2.configurationFile={log4j}",
                    "-cp",
                    f"{root / 'classes'}:{root / 'libs'}/*",
                    LAUNCHER,
                    str(self._dir),
                    str(self.port),
                ],
                cwd=self._dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_deathsig_preexec(),  # noqa: PLW1509 - only prctl runs in the child
            )
        _live.add(self)
        self._wait_ready(console)
        log.info("OpenSearch %s ready on %s (data in %s)", OPENSEARCH_VERSION, self.url, self._dir)

    def _wait_ready(self, console: Path) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        health = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise OpenSearchStartError(
                    f"OpenSearch exited with {self._proc.returncode} while starting:\n{_tail(console)}\n"
                    + _tail(self._dir / "logs" / "node.log" if self._dir else console)
                )
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(health, timeout=3) as resp:  # noqa: S310 - our own 127.0.0.1 node
                    if json.loads(resp.read()).get("status") in ("green", "yellow"):
                        return
            time.sleep(0.3)
        raise OpenSearchStartError(f"OpenSearch did not start within {self.start_timeout}s:\n{_tail(console)}")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the node (SIGTERM, then SIGKILL) and remove its folder."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self._cleanup()

    def _cleanup(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        _live.discard(self)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.port = None

    def __enter__(self) -> EmbeddedOpenSearch:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
