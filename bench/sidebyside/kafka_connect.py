"""Apache Kafka Connect 4.1.1, standalone or distributed, as its own scripts start it, from jars fetched with Maven.

The jars (connect-runtime, connect-file, connect-json, connect-transforms and a log4j2 binding, see
bench/kafka-connect/pom.xml) land in <cache>/kafka-connect-<version>/libs, next to the embedded broker's, where
<cache> is $CONNECTLESS_CACHE_DIR or ~/.cache/connectless; nothing is written into the repository.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from connectless_local import jvm_process as jvm
from connectless_local.jvm_process import free_port

if TYPE_CHECKING:
    from collections.abc import Mapping

KAFKA_CONNECT_VERSION = "4.1.1"  # keep in step with kafka.version in bench/kafka-connect/pom.xml
POM = Path(__file__).parents[1] / "kafka-connect" / "pom.xml"
MAIN_CLASS = "org.apache.kafka.connect.cli.ConnectStandalone"
DISTRIBUTED_MAIN_CLASS = "org.apache.kafka.connect.cli.ConnectDistributed"
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


def distributed_worker_properties(
    bootstrap: str, work: Path, converters: Mapping[str, str], group: str, *, exactly_once: bool
) -> dict[str, str]:
    """What a connect-distributed.properties holds for a one-worker cluster on a one-broker Kafka: the worker's
    group and its three internal topics (replication factor 1), the same converters, REST port, offset flush
    interval and plugin discovery as the standalone worker; `exactly_once`: `exactly.once.source.support=enabled`
    (KIP-618, distributed mode only; a new cluster sets it to `enabled` at once, no `preparing` step)."""
    standalone = worker_properties(bootstrap, work, converters)
    del standalone["offset.storage.file.filename"]
    return {
        **standalone,
        "group.id": group,
        **{f"{kind}.storage.topic": topic for kind, topic in internal_topics(group).items()},
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        **({"exactly.once.source.support": "enabled"} if exactly_once else {}),
    }


def internal_topics(group: str) -> dict[str, str]:
    """The worker's config, offset and status topics, named after its group."""
    return {"config": f"{group}-configs", "offset": f"{group}-offsets", "status": f"{group}-status"}


# The internal topics as a distributed worker creates them when missing (DistributedConfig's defaults: 25 offset
# partitions, 5 status partitions, the config topic always 1), all compacted.
INTERNAL_TOPIC_PARTITIONS = {"config": 1, "offset": 25, "status": 5}


def rest_url(worker: Mapping[str, str]) -> str:
    return worker["listeners"].rstrip("/")


def _launch(libs: Path, work: Path, main_class: str, *args: Path) -> subprocess.Popen[bytes]:
    log4j = work / "log4j2.properties"
    log4j.write_text(jvm.log4j2_file_config(work / "connect.log", {}))
    options = [*JVM_OPTIONS, f"-Dlog4j2.configurationFile={log4j}"]
    cmd = jvm.java_command(java(), options, [f"{libs}/*"], main_class, *map(str, args))
    return jvm.launch(cmd, work, work / "console.log", die_with_parent=False)


def start(libs: Path, work: Path, worker: Mapping[str, str], connector: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`connect-standalone.sh worker.properties connector.properties`, minus the shell script, in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    worker_file = write_properties(work / "worker.properties", worker)
    connector_file = write_properties(work / "connector.properties", connector)
    return _launch(libs, work, MAIN_CLASS, worker_file, connector_file)


def start_distributed(libs: Path, work: Path, worker: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`connect-distributed.sh worker.properties` (bin/connect-distributed.sh has the standalone script's heap and
    JVM flags), minus the shell script, in `work`; connectors come through the REST API (`submit_connector`)."""
    work.mkdir(parents=True, exist_ok=True)
    return _launch(libs, work, DISTRIBUTED_MAIN_CLASS, write_properties(work / "worker.properties", worker))


def submit_connector(
    url: str, config: Mapping[str, str], proc: subprocess.Popen[bytes], timeout_s: float = 120.0
) -> float:
    """`POST /connectors` once the worker takes it, retrying while its REST server is not up yet or answers that it
    is not ready (409: rebalance in progress or stale config; 5xx); returns the seconds it took. A 400 (a config
    the worker refuses, say `exactly.once.support=required` without worker support) fails at once."""
    body = json.dumps({"name": config["name"], "config": dict(config)}).encode()
    begun = time.perf_counter()
    last = "no answer"
    while time.perf_counter() - begun < timeout_s:
        if proc.poll() is not None:
            raise KafkaConnectError(f"the distributed worker exited with {proc.returncode} before taking the connector")
        request = urllib.request.Request(
            f"{url}/connectors", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (our own worker on 127.0.0.1)
                answer.read()
                return time.perf_counter() - begun
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}: {e.read().decode(errors='replace')}"
            if e.code not in (404, 409) and e.code < 500:
                raise KafkaConnectError(f"the worker refused connector {config['name']}: {last}") from e
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            last = str(e)
        time.sleep(0.05)
    raise KafkaConnectError(f"the worker did not take connector {config['name']} in {timeout_s:.0f}s: {last}")


def connector_status(url: str, name: str) -> dict[str, object]:
    """`GET /connectors/<name>/status`, or the error met."""
    try:
        with urllib.request.urlopen(f"{url}/connectors/{name}/status", timeout=5) as answer:  # noqa: S310
            status: dict[str, object] = json.loads(answer.read())
            return status
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as e:
        return {"error": str(e)}


def stop(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM (the worker's clean shutdown: stop tasks, flush offsets), SIGKILL after `timeout`."""
    return jvm.stop(proc, timeout, "Kafka Connect")


def transactional_evidence(log: Path, transactional_id: str) -> dict[str, object]:
    """What the worker's log says about the task's producer: whether a producer was configured with the task's
    transactional id (`<group.id>-<connector>-<task>`, KIP-618), the lines naming it (the transactional
    producer's init, its producer id) and the connector's `transaction.boundary` as the worker resolved it."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return {"transactional_id": transactional_id, "error": f"no log at {log}"}
    configured = f"transactional.id = {transactional_id}" in text
    inits = [line.strip() for line in text.splitlines() if f"transactionalId={transactional_id}" in line]
    # the source connector config's values as the worker logs them (SourceConnectorConfig's dump)
    boundaries = re.findall(r"^\s*transaction\.boundary = (\S+)$", text, re.MULTILINE)
    return {
        "transactional_id": transactional_id,
        "transaction_boundary": boundaries[-1] if boundaries else None,
        "producer_configured_with_it": configured,
        "log_lines_naming_it": len(inits),
        "first_lines": inits[:3],
    }


def log_tail(work: Path, lines: int = 30) -> str:
    return jvm.logs_tail((work / name for name in ("console.log", "connect.log")), lines, header="--- {} ---")
