"""Apache Kafka Connect 4.1.1 standalone, as its own scripts start it, from jars fetched with Maven.

The jars (connect-runtime, connect-file, connect-json, connect-transforms and a log4j2 binding, see
bench/kafka-connect/pom.xml) land in <cache>/kafka-connect-<version>/libs, next to the embedded broker's, where
<cache> is $CONNECTLESS_CACHE_DIR or ~/.cache/connectless; nothing is written into the repository.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from connectless_local import jvm_process as jvm
from connectless_local.jvm_process import free_port

if TYPE_CHECKING:
    from collections.abc import Mapping

KAFKA_CONNECT_VERSION = "4.1.1"  # keep in step with kafka.version in bench/kafka-connect/pom.xml
POM = Path(__file__).parents[1] / "kafka-connect" / "pom.xml"
MAIN_CLASS = "org.apache.kafka.connect.cli.ConnectStandalone"
_MARKER = ".connectless-complete.json"

# bin/connect-standalone.sh's heap and bin/kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS, unchanged.
JVM_OPTIONS = [
    "-Xms256M",
    "-Xmx2G",
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-Djava.awt.headless=true",
]


class KafkaConnectError(RuntimeError):
    """Kafka Connect could not be fetched or started."""


def cache_dir() -> Path:
    return jvm.cache_base() / f"kafka-connect-{KAFKA_CONNECT_VERSION}" / "libs"


def _complete(libs: Path, pom_sha: str) -> bool:
    marker = jvm.read_marker(libs / _MARKER)
    jars = marker.get("jars") or []
    return marker.get("pom_sha256") == pom_sha and bool(jars) and all((libs / j).is_file() for j in jars)


def fetch_jars() -> Path:
    """The directory with every jar of the worker; runs `mvn` only when the cache is missing or outdated."""
    libs = cache_dir()
    pom = POM.read_bytes()
    pom_sha = hashlib.sha256(pom).hexdigest()
    if _complete(libs, pom_sha):
        return libs
    with jvm.file_lock(libs.parent.parent / f"kafka-connect-{KAFKA_CONNECT_VERSION}.lock"):
        if _complete(libs, pom_sha):
            return libs
        mvn = jvm.find_on_path(
            "mvn", KafkaConnectError("mvn not found: install Apache Maven (Debian: apt-get install maven)")
        )
        libs.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".libs-", dir=libs.parent))
        try:
            out = work / "libs"
            (work / "pom.xml").write_bytes(pom)
            code, jars, printed = jvm.copy_dependencies(mvn, work / "pom.xml", out)
            if code != 0 or not any(j.startswith("connect-runtime-") for j in jars):
                raise KafkaConnectError(f"mvn could not fetch Kafka Connect (exit {code}):\n{printed}")
            (out / _MARKER).write_text(json.dumps({"pom_sha256": pom_sha, "jars": jars}, indent=1))
            if libs.exists():
                libs.rename(work / "old")
            out.rename(libs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return libs


def java() -> str:
    return jvm.find_java(KafkaConnectError("java not found: install a Java 17+ JDK"))


def java_version() -> str:
    proc = subprocess.run([java(), "-version"], capture_output=True, text=True, check=False)
    return (proc.stderr or proc.stdout).splitlines()[0] if (proc.stderr or proc.stdout) else "unknown"


def write_properties(path: Path, props: Mapping[str, str]) -> Path:
    # Java's Properties format: `\` escapes, so only backslashes need doubling for the values used here.
    path.write_text("".join(f"{k}={str(v).replace(chr(92), chr(92) * 2)}\n" for k, v in props.items()))
    return path


def worker_properties(bootstrap: str, work: Path, converters: Mapping[str, str]) -> dict[str, str]:
    """What a connect-standalone.properties holds, plus a free REST port and a 1 s offset flush."""
    return {
        "bootstrap.servers": bootstrap,
        **converters,
        "offset.storage.file.filename": str(work / "connect.offsets"),
        "offset.flush.interval.ms": "1000",
        "listeners": f"http://127.0.0.1:{free_port()}",
        # Every plugin is on the classpath and ships a ServiceLoader manifest: skip the reflective scan.
        "plugin.discovery": "service_load",
    }


def start(libs: Path, work: Path, worker: Mapping[str, str], connector: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`connect-standalone.sh worker.properties connector.properties`, minus the shell script, in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    log4j = work / "log4j2.properties"
    log4j.write_text(jvm.log4j2_file_config(work / "connect.log", {}))
    worker_file = write_properties(work / "worker.properties", worker)
    connector_file = write_properties(work / "connector.properties", connector)
    options = [*JVM_OPTIONS, f"-Dlog4j2.configurationFile={log4j}"]
    cmd = jvm.java_command(java(), options, [f"{libs}/*"], MAIN_CLASS, str(worker_file), str(connector_file))
    return jvm.launch(cmd, work, work / "console.log", die_with_parent=False)


def stop(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM (the worker's clean shutdown: stop tasks, flush offsets), SIGKILL after `timeout`."""
    return jvm.stop(proc, timeout, "Kafka Connect")


def log_tail(work: Path, lines: int = 30) -> str:
    return jvm.logs_tail((work / name for name in ("console.log", "connect.log")), lines, header="--- {} ---")
