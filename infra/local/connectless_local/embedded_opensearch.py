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

import contextlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from connectless_local.embedded_kafka import EmbeddedKafkaError, _find_java, _find_mvn
from connectless_local.jvm_process import (
    CACHE_MARKER,
    JvmProcess,
    cache_base,
    copy_dependencies,
    file_lock,
    free_port,
    java_command,
    log4j2_file_config,
    read_marker,
    sources_sha,
    tail,
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
_MARKER = CACHE_MARKER

log = logging.getLogger(__name__)


class OpenSearchStartError(EmbeddedKafkaError):
    """The jars could not be fetched, the launcher not compiled, or the node did not come up."""


def url_from_env() -> str | None:
    """$OPENSEARCH_URL (e.g. http://127.0.0.1:9200) when set: use that server instead of starting one."""
    return os.environ.get(ENV_URL) or None


def _cache_root(cache_dir: Path | None) -> Path:
    return cache_base(cache_dir) / f"opensearch-{OPENSEARCH_VERSION}"


def _sources_sha() -> str:
    return sources_sha(_SOURCES, ("pom.xml", f"{LAUNCHER}.java"))


def _complete(root: Path, sha: str) -> bool:
    marker = read_marker(root / _MARKER)
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
    with file_lock(root.parent / f"{root.name}.lock"):
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
            log.info("fetching OpenSearch %s jars with Maven into %s", OPENSEARCH_VERSION, root)
            code, jars, printed = copy_dependencies(mvn, work / "pom.xml", libs)
            if code != 0 or f"opensearch-{OPENSEARCH_VERSION}.jar" not in jars:
                raise OpenSearchStartError(
                    f"mvn could not fetch OpenSearch {OPENSEARCH_VERSION} (exit {code}):\n{printed}"
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


class EmbeddedOpenSearch:
    """One OpenSearch node (HTTP on 127.0.0.1, no security, single-node discovery) in a temporary folder."""

    def __init__(
        self, *, heap: str | None = None, start_timeout: float = DEFAULT_START_TIMEOUT, cache_dir: Path | None = None
    ) -> None:
        self.heap = heap or os.environ.get(ENV_HEAP) or DEFAULT_HEAP
        self.start_timeout = start_timeout
        self.cache_dir = cache_dir
        self._jvm: JvmProcess | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None or self._jvm is None:
            raise OpenSearchStartError("EmbeddedOpenSearch is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path | None:
        return self._jvm.folder / "logs" / "node.log" if self._jvm else None

    def start(self) -> EmbeddedOpenSearch:
        if self._jvm is not None:
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
        self._jvm = jvm = JvmProcess("OpenSearch", "connectless-opensearch-")
        (jvm.folder / "config").mkdir()
        logs = jvm.folder / "logs"
        logs.mkdir()
        log4j = jvm.folder / "log4j2.properties"
        only_node_info = {"org.opensearch.node.Node": "INFO"}
        config = log4j2_file_config(
            logs / "node.log", only_node_info, status="error", root_level="WARN", pattern="[%d] %p %c{1} %m%n"
        )
        log4j.write_text(config)
        self.port = free_port()
        options = [
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",  # one small node on a shared 2-core machine
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            "-Dlog4j2.disable.jmx=true",
            "-Dlog4j.shutdownHookEnabled=false",
            f"-Dlog4j2.configurationFile={log4j}",
        ]
        classpath = [str(root / "classes"), f"{root / 'libs'}/*"]
        console = logs / "console.log"
        jvm.launch(java_command(java, options, classpath, LAUNCHER, str(jvm.folder), str(self.port)), console)
        self._wait_ready(console)
        log.info("OpenSearch %s ready on %s (data in %s)", OPENSEARCH_VERSION, self.url, jvm.folder)

    def _wait_ready(self, console: Path) -> None:
        assert self._jvm is not None
        health = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"

        def is_yellow(seconds_left: float) -> bool:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(health, timeout=3) as resp:  # noqa: S310 - our own 127.0.0.1 node
                    return json.loads(resp.read()).get("status") in ("green", "yellow")
            return False

        node_log = self._jvm.folder / "logs" / "node.log"
        self._jvm.wait_until_ready(
            is_yellow,
            timeout=self.start_timeout,
            interval=0.3,
            exited=lambda code: OpenSearchStartError(
                f"OpenSearch exited with {code} while starting:\n{tail(console)}\n" + tail(node_log)
            ),
            timed_out=lambda: OpenSearchStartError(
                f"OpenSearch did not start within {self.start_timeout}s:\n{tail(console)}"
            ),
        )

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the node (SIGTERM, then SIGKILL) and remove its folder."""
        self._cleanup(grace=timeout)

    def _cleanup(self, grace: float | None = None) -> None:
        """Stop the node (SIGKILL at once without a `grace` period) and remove its folder."""
        jvm, self._jvm = self._jvm, None
        if jvm is not None and grace is not None:
            jvm.stop(grace)
        elif jvm is not None:
            jvm.kill()
        self.port = None

    def __enter__(self) -> EmbeddedOpenSearch:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
