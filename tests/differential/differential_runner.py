"""Apache Kafka Connect 4.1.1 doing `connectless transform`'s job: the differential tests' reference side.

`KafkaConnectRunner` fetches the jars named in runner/pom.xml with Maven (once, into
<cache>/differential-<version>/libs), compiles runner/KafkaConnectRunner.java against them (once per source
version) and starts one JVM, pinned to UTC, that answers requests over stdin/stdout in JSON lines.
`run_connectless` gives the same answer for Connectless, through `connectless transform` itself.
The JVM is $DIFFERENTIAL_JAVA_HOME's, else $JAVA_HOME's, else `java` on PATH (any Java 17+).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import orjson

from connectless_local import jvm_process as jvm

KAFKA_VERSION = "4.1.1"  # keep in step with runner/pom.xml
RUNNER_DIR = Path(__file__).parent / "runner"
MAIN_CLASS = "KafkaConnectRunner"
_MARKER = ".connectless-complete.json"
_ANSWER_TIMEOUT = 60.0


class RunnerError(RuntimeError):
    """The Kafka Connect runner could not be fetched, compiled or started, or it stopped answering."""


def _cache() -> Path:
    return jvm.cache_base() / f"differential-{KAFKA_VERSION}"


def fetch_jars() -> Path:
    """The folder with the runner's jars; runs `mvn` only when the cache is missing or outdated."""
    libs = _cache() / "libs"
    pom = (RUNNER_DIR / "pom.xml").read_bytes()
    pom_sha = hashlib.sha256(pom).hexdigest()

    def complete() -> bool:
        marker = jvm.read_marker(libs / _MARKER)
        jars = marker.get("jars") or []
        return marker.get("pom_sha256") == pom_sha and bool(jars) and all((libs / j).is_file() for j in jars)

    if complete():
        return libs
    with jvm.file_lock(_cache().parent / f"differential-{KAFKA_VERSION}.lock"):
        if complete():
            return libs
        mvn = jvm.find_on_path(
            "mvn", RunnerError("mvn not found: install Apache Maven (Debian: apt-get install maven)")
        )
        _cache().mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".libs-", dir=_cache()))
        try:
            (work / "pom.xml").write_bytes(pom)
            code, jars, printed = jvm.copy_dependencies(mvn, work / "pom.xml", work / "libs")
            if code != 0 or not any(j.startswith("connect-runtime-") for j in jars):
                raise RunnerError(f"mvn could not fetch Kafka Connect (exit {code}):\n{printed}")
            (work / "libs" / _MARKER).write_text(json.dumps({"pom_sha256": pom_sha, "jars": jars}))
            if libs.exists():
                libs.rename(work / "old")
            (work / "libs").rename(libs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return libs


def compile_runner(libs: Path) -> Path:
    """The folder with KafkaConnectRunner.class, compiled when its source or the jars changed."""
    source = RUNNER_DIR / f"{MAIN_CLASS}.java"
    digest = hashlib.sha256(source.read_bytes() + (RUNNER_DIR / "pom.xml").read_bytes()).hexdigest()[:16]
    classes = _cache() / f"classes-{digest}"
    if (classes / f"{MAIN_CLASS}.class").is_file():
        return classes
    javac = jvm.find_on_path("javac", RunnerError("javac not found: install a Java 17+ JDK"))
    with jvm.file_lock(_cache().parent / f"differential-{KAFKA_VERSION}.lock"):
        if (classes / f"{MAIN_CLASS}.class").is_file():
            return classes
        work = Path(tempfile.mkdtemp(prefix=".classes-", dir=_cache()))
        proc = subprocess.run(
            [javac, "-nowarn", "-encoding", "UTF-8", "-cp", f"{libs}/*", "-d", str(work), str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise RunnerError(f"javac failed:\n{proc.stdout}{proc.stderr}")
        work.rename(classes)
    return classes


class KafkaConnectRunner:
    """One JVM running KafkaConnectRunner; `run(side, config, records)` returns its answer.

    The answer: {"exit": 0|1|2, "lines": [output lines], "usage": why (exit 2 only), "java": the JVM's version}.
    """

    def __init__(self) -> None:
        libs = fetch_jars()
        classes = compile_runner(libs)
        java_home = os.environ.get("DIFFERENTIAL_JAVA_HOME")
        if java_home:
            java = str(Path(java_home) / "bin" / "java")
        else:
            java = jvm.find_java(RunnerError("java not found: install a Java 17+ JDK"))
        self._folder = Path(tempfile.mkdtemp(prefix="kc-differential-"))
        self.log = self._folder / "runner.log"
        options = ["-Duser.timezone=UTC", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx512m"]
        options.append("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
        cmd = jvm.java_command(java, options, [classes, f"{libs}/*"], MAIN_CLASS)
        with self.log.open("wb") as err:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=self._folder
            )
        self._lock = threading.Lock()
        ready = self._read_line(120.0)
        if ready.get("ready") is not True:
            self.close()
            raise RunnerError(f"Kafka Connect runner did not start: {ready}\n{jvm.tail(self.log)}")
        self.java_version = int(str(ready.get("java", "0")).split(".")[-1])  # "1.8" -> 8, "17" -> 17

    def run(self, side: str, config: dict[str, str], records: list[dict[str, Any]]) -> dict[str, Any]:
        request = orjson.dumps({"side": side, "config": config, "records": records}) + b"\n"
        with self._lock:
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(request)
                self._proc.stdin.flush()
            except BrokenPipeError as exc:
                raise RunnerError(f"Kafka Connect runner has exited:\n{jvm.tail(self.log)}") from exc
            answer = self._read_line(_ANSWER_TIMEOUT)
        if answer.get("exit") == 3:
            raise RunnerError(f"Kafka Connect runner crashed on a request: {answer.get('crash')}")
        answer["java"] = self.java_version
        return answer

    def _read_line(self, timeout: float) -> dict[str, Any]:
        assert self._proc.stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            raise RunnerError(f"Kafka Connect runner gave no answer in {timeout:.0f}s:\n{jvm.tail(self.log)}")
        parsed: dict[str, Any] = orjson.loads(result[0])
        return parsed

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


def run_connectless(side: str, config: dict[str, str], records: list[dict[str, Any]]) -> dict[str, Any]:
    """`connectless transform --side SIDE` on `records`, as the runner's answer: exit status and output lines."""
    from connectless_cli.transform_cmd import transform

    stream = [orjson.dumps(r).decode() + "\n" for r in records]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = transform(side, config.get("name", "differential"), config, stream, out)
    answer: dict[str, Any] = {
        "exit": code,
        "lines": [orjson.loads(line) for line in out.getvalue().split("\n") if line],
    }
    if code == 2:
        answer["usage"] = err.getvalue().strip()
    return answer
