"""A real Confluent-compatible schema registry on 127.0.0.1 for tests, `local up` and the demos.

Confluent's own registry is not on Maven Central and Karapace is not on PyPI, so this runs Apicurio Registry
2.4.2.Final, which serves the Confluent API at `/apis/ccompat/v7`, rebuilt from Maven Central alone: `mvn package`
on the small Quarkus project next to this file (apicurio/pom.xml) makes a fast-jar, cached once per user
under ~/.cache/connectless (about 85 s and 210 MB of jars the first time). Storage is in-memory H2, so every start
is empty. Apicurio's default compatibility is NONE where Confluent's is BACKWARD: the start sets BACKWARD.

`SCHEMA_REGISTRY_URL` points every caller at another registry instead (see `url_from_env`).

Example:
    with EmbeddedSchemaRegistry() as registry:
        SchemaRegistryClient({"url": registry.url})
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from connectless_local.embedded_kafka import EmbeddedKafkaError, _find_java, _find_mvn
from connectless_local.jvm_process import (
    CACHE_MARKER,
    JvmProcess,
    cache_base,
    file_lock,
    free_port,
    read_marker,
    sources_sha,
    tail,
)

if TYPE_CHECKING:
    from types import FrameType, TracebackType

__all__ = [
    "APICURIO_VERSION",
    "CCOMPAT_PATH",
    "EmbeddedSchemaRegistry",
    "SchemaRegistryStartError",
    "build_registry",
    "run_foreground",
    "url_from_env",
]

APICURIO_VERSION = "2.4.2.Final"  # keep in step with apicurio.version in apicurio/pom.xml
CCOMPAT_PATH = "/apis/ccompat/v7"
ENV_URL = "SCHEMA_REGISTRY_URL"
ENV_HEAP = "CONNECTLESS_SCHEMA_REGISTRY_HEAP"
DEFAULT_HEAP = "256m"
DEFAULT_START_TIMEOUT = 90.0
DEFAULT_COMPATIBILITY = "BACKWARD"  # Confluent's default

_SOURCES = Path(__file__).resolve().parent / "apicurio"
_SOURCE_FILES = ("pom.xml", "src/main/resources/application.properties")
_MARKER = CACHE_MARKER

log = logging.getLogger(__name__)


class SchemaRegistryStartError(EmbeddedKafkaError):
    """The registry could not be built, or did not come up."""


def url_from_env() -> str | None:
    """$SCHEMA_REGISTRY_URL when set (e.g. http://host:8081): use that registry instead of starting one."""
    return os.environ.get(ENV_URL) or None


def _cache_root(cache_dir: Path | None) -> Path:
    return cache_base(cache_dir) / f"apicurio-registry-{APICURIO_VERSION}"


def _sources_sha() -> str:
    return sources_sha(_SOURCES, _SOURCE_FILES)


def _complete(root: Path, sha: str) -> bool:
    return read_marker(root / _MARKER).get("sha256") == sha and (root / "quarkus-app" / "quarkus-run.jar").is_file()


def build_registry(cache_dir: Path | None = None) -> Path:
    """The folder holding quarkus-app/ (the runnable registry), built with Maven once per user.

    Crash-safe (built in a temporary sibling renamed into place) and safe against concurrent callers.
    """
    root = _cache_root(cache_dir)
    sha = _sources_sha()
    if _complete(root, sha):
        return root
    with file_lock(root.parent / f"{root.name}.lock"):
        if _complete(root, sha):
            return root
        mvn = _find_mvn()
        root.parent.mkdir(parents=True, exist_ok=True)
        for stale in root.parent.glob(f".{root.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
        try:
            project = work / "project"
            shutil.copytree(_SOURCES, project)
            log.info("building Apicurio Registry %s with Maven into %s (once)", APICURIO_VERSION, root)
            started = time.monotonic()
            proc = subprocess.run(
                [mvn, "-q", "-B", "-f", str(project / "pom.xml"), "package", "-DskipTests"],
                cwd=project,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            app = project / "target" / "quarkus-app"
            if proc.returncode != 0 or not (app / "quarkus-run.jar").is_file():
                printed = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
                raise SchemaRegistryStartError(
                    f"mvn could not build Apicurio Registry {APICURIO_VERSION} (exit {proc.returncode}):\n"
                    + "\n".join(printed)
                )
            app.rename(work / "quarkus-app")
            shutil.rmtree(project, ignore_errors=True)
            (work / _MARKER).write_text(json.dumps({"sha256": sha, "seconds": round(time.monotonic() - started)}))
            if root.exists():
                root.rename(work / "old")
            work.rename(root)
            shutil.rmtree(root / "old", ignore_errors=True)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return root


def _request(url: str, method: str = "GET", body: dict[str, str] | None = None, timeout: float = 3.0) -> object:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - our own 127.0.0.1 registry
    req.add_header("Content-Type", "application/vnd.schemaregistry.v1+json")
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
        return json.loads(resp.read() or b"null")


class EmbeddedSchemaRegistry:
    """One Apicurio Registry (Confluent API, in-memory storage, compatibility BACKWARD) in a temporary folder."""

    def __init__(
        self,
        *,
        heap: str | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        compatibility: str = DEFAULT_COMPATIBILITY,
        cache_dir: Path | None = None,
    ) -> None:
        self.heap = heap or os.environ.get(ENV_HEAP) or DEFAULT_HEAP
        self.start_timeout = start_timeout
        self.compatibility = compatibility
        self.cache_dir = cache_dir
        self._jvm: JvmProcess | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The Confluent-compatible base URL, the value of `schema.registry.url`."""
        if self.port is None or self._jvm is None:
            raise SchemaRegistryStartError("EmbeddedSchemaRegistry is not started")
        return f"http://127.0.0.1:{self.port}{CCOMPAT_PATH}"

    @property
    def log_file(self) -> Path | None:
        return self._jvm.folder / "registry.log" if self._jvm else None

    def is_running(self) -> bool:
        return self._jvm is not None and self._jvm.is_running()

    def start(self) -> EmbeddedSchemaRegistry:
        if self._jvm is not None:
            raise SchemaRegistryStartError("EmbeddedSchemaRegistry is already started")
        java = _find_java()
        root = build_registry(self.cache_dir)
        for attempt in range(3):  # a free port may be taken before the registry binds it
            try:
                self._start_once(java, root)
                return self
            except SchemaRegistryStartError as exc:
                self._cleanup()
                if "Port already bound" not in str(exc) and "Address already in use" not in str(exc) or attempt == 2:
                    raise
            except BaseException:
                self._cleanup()
                raise
        raise AssertionError("unreachable")

    def _start_once(self, java: str, root: Path) -> None:
        self._jvm = jvm = JvmProcess("Apicurio Registry", "connectless-registry-", grace=15.0)
        self.port = free_port()
        command = [
            java,
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",  # one small JVM on a shared machine
            "-XX:TieredStopAtLevel=1",  # starts faster; the registry does little work
            "-XX:+ExitOnOutOfMemoryError",
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={self.port}",
            "-Dquarkus.log.level=WARN",
            "-Dquarkus.log.category.io.sentry.level=ERROR",
            "-jar",
            str(root / "quarkus-app" / "quarkus-run.jar"),
        ]
        console = jvm.folder / "registry.log"
        jvm.launch(command, console)
        config = f"{self.url}/config"

        def answers(seconds_left: float) -> bool:
            with contextlib.suppress(OSError, ValueError):
                return isinstance(_request(config), dict)
            return False

        jvm.wait_until_ready(
            answers,
            timeout=self.start_timeout,
            interval=0.2,
            exited=lambda code: SchemaRegistryStartError(
                f"Apicurio Registry exited with {code} while starting:\n{tail(console)}"
            ),
            timed_out=lambda: SchemaRegistryStartError(
                f"Apicurio Registry did not start within {self.start_timeout}s:\n{tail(console)}"
            ),
        )
        _request(config, "PUT", {"compatibility": self.compatibility})
        log.info("Apicurio Registry %s ready at %s", APICURIO_VERSION, self.url)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the registry (SIGTERM, then SIGKILL) and remove its folder."""
        self._cleanup(grace=timeout)

    def _cleanup(self, grace: float | None = None) -> None:
        jvm, self._jvm = self._jvm, None
        if jvm is not None and grace is not None:
            jvm.stop(grace)
        elif jvm is not None:
            jvm.kill()

    def __enter__(self) -> EmbeddedSchemaRegistry:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Terminate(Exception):
    pass


def run_foreground() -> int:
    """`connectless dev schema-registry`: print the registry's URL, serve until SIGINT/SIGTERM, stop cleanly."""
    existing = url_from_env()
    if existing:
        print(f"{ENV_URL} is set: using the registry at {existing}, starting nothing", file=sys.stderr)
        print(existing, flush=True)
        return 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise _Terminate

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for sig in handled:
        signal.signal(sig, on_signal)
    registry = EmbeddedSchemaRegistry()
    try:
        try:
            registry.start()
            print(registry.url, flush=True)
            print(
                f"Apicurio Registry {APICURIO_VERSION} (Confluent API, compatibility {registry.compatibility}, "
                "in-memory) ready; Ctrl-C to stop",
                file=sys.stderr,
                flush=True,
            )
            while registry.is_running():
                time.sleep(0.5)
        except _Terminate:
            return 0
        except (EmbeddedKafkaError, urllib.error.URLError) as exc:
            print(f"connectless dev schema-registry: {exc}", file=sys.stderr)
            return 2
        log_file = registry.log_file
        print(
            "connectless dev schema-registry: the registry exited unexpectedly\n"
            + (tail(log_file) if log_file else ""),
            file=sys.stderr,
        )
        return 1
    finally:
        for sig in handled:
            signal.signal(sig, signal.SIG_IGN)
        registry.stop()
