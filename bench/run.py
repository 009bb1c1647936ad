"""Connectless next to Apache Kafka Connect 4.1.1 standalone: one run, same broker, same data (issue 8).

    python bench/run.py [--records 1000000] [--only sink,source,cold] [--out bench/results]

1. Sink: N JSON records of ~300 B in one topic -> InsertField$Value, ReplaceField$Value, TimestampConverter$Value
   -> file. Kafka Connect's FileStreamSink (connect-standalone) against Connectless's sink function
   (functions/sink_task/app.py) fed by the event-source-mapping emulator. Both read the same topic.
2. Source: an N-line file -> topic, offsets committed. FileStreamSource against Connectless's SourceTaskRunner.
3. Cold start: `python -X importtime` of every functions/*/app.py; a cold process -> the first record delivered;
   peak memory of one ~6 MB event through the sink handler.
4. Cost per million records: Lambda (1,769 MB and 512 MB) from the measured CPU time, MSK Connect from its
   MCU-hour price at the same throughput.

Measured for each runtime's process: records/s (launch to last record, and first to last), CPU seconds per
million records and peak RSS. Results: bench/results/<date>.json, <date>.md and <date>.png. The broker is the
embedded Apache Kafka (or KAFKA_BOOTSTRAP_SERVERS); Kafka Connect's jars are fetched with mvn into the cache.
Nothing here asserts: targets missed are reported, and the exit code is 0 unless a run failed.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import orjson

# This checkout's library, whatever checkout the virtualenv's editable install points at.
_REPO = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(_REPO / "shared"), str(_REPO / "infra" / "local")]

from connectless.kafka.settings import KafkaSettings  # noqa: E402
from connectless_local.embedded_kafka import KAFKA_VERSION, EmbeddedKafka, bootstrap_from_env  # noqa: E402
from sidebyside import avro_sink, report, runs  # noqa: E402
from sidebyside import kafka_connect as kc  # noqa: E402
from sidebyside.workload import produce_records, write_lines  # noqa: E402

log = logging.getLogger("bench")
PHASES = ("sink", "source", "cold", "avro")


def git_commit() -> str:
    """The commit measured, `+dirty` when the library or the handlers differ from it (bench/ itself excluded);
    BENCH_GIT_COMMIT names it when running from an exported tree."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=runs.REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    if not head:
        return os.environ.get("BENCH_GIT_COMMIT", "unknown")
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "shared", "functions", "infra"],
        cwd=runs.REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return head + ("+dirty" if dirty else "")


def side_by_side(name: str, measures: tuple[runs.Measure, runs.Measure]) -> dict[str, Any]:
    kc_run, cl_run = (m.as_dict() for m in measures)
    ratio = cl_run["records_per_s"] / kc_run["records_per_s"]
    steady = cl_run["steady_records_per_s"] / kc_run["steady_records_per_s"]
    log.info(
        "%s: Kafka Connect %.0f rec/s, Connectless %.0f rec/s, ratio %.2f (steady %.2f)",
        name,
        kc_run["records_per_s"],
        cl_run["records_per_s"],
        ratio,
        steady,
    )
    return {
        "kafka-connect": kc_run,
        "connectless": cl_run,
        "ratio_records_per_s": ratio,
        "ratio_steady_records_per_s": steady,
    }


def phase_sink(settings: KafkaSettings, libs: Path, work: Path, n: int, run_id: str, timeout: float) -> dict[str, Any]:
    topic = f"bench-sink-in-{run_id}"
    runs.create_topic(settings, topic)
    log.info("producing %d records to %s", n, topic)
    data = produce_records(settings, topic, n)
    cl_name = f"cl-sink-{run_id}"
    runs.deploy_cl_sink(settings, cl_name, runs.cl_sink_config(cl_name, topic, work / "sink-connectless"))
    log.info("sink: kafka-connect")
    kc_run = runs.run_kc_sink(settings, libs, work / "sink-kafka-connect", topic, n, timeout, name=f"kc-sink-{run_id}")
    (work / "sink-kafka-connect" / "out.txt").unlink()  # hundreds of MB each
    log.info("sink: connectless")
    cl_run = runs.run_cl_sink(settings, work / "sink-connectless", topic, n, timeout, name=cl_name)
    (work / "sink-connectless" / "out.txt").unlink()
    # The same again as Lambda runs it: the poller's event JSON, parsed and base64-decoded by the function.
    json_name = f"cl-sink-json-{run_id}"
    log.info("sink: connectless, Lambda event JSON")
    json_run = runs.run_cl_sink(settings, work / "sink-connectless-json", topic, n, timeout, name=json_name,
                                json_round_trip=True)  # fmt: skip
    (work / "sink-connectless-json" / "out.txt").unlink()
    result = side_by_side("sink", (kc_run, cl_run))
    result["connectless-json"] = as_json = json_run.as_dict()
    result["ratio_json_records_per_s"] = as_json["records_per_s"] / result["kafka-connect"]["records_per_s"]
    result["ratio_json_steady_records_per_s"] = (
        as_json["steady_records_per_s"] / result["kafka-connect"]["steady_records_per_s"]
    )
    log.info(
        "sink: Connectless with the Lambda event JSON %.0f rec/s, ratio %.2f (steady %.2f)",
        as_json["records_per_s"],
        result["ratio_json_records_per_s"],
        result["ratio_json_steady_records_per_s"],
    )
    result["input"] = {"topic": topic, **data}
    return result


def phase_source(
    settings: KafkaSettings, libs: Path, work: Path, n: int, run_id: str, timeout: float
) -> dict[str, Any]:
    infile = work / "source-input.txt"
    size = write_lines(infile, n)
    runs.deploy_cl_source(settings, f"cl-source-{run_id}")
    log.info("source: kafka-connect")
    kc_run = runs.run_kc_source(
        settings, libs, work / "source-kafka-connect", infile, n, timeout, name=f"kc-source-{run_id}"
    )
    log.info("source: connectless")
    cl_run = runs.run_cl_source(settings, work / "source-connectless", infile, n, timeout, name=f"cl-source-{run_id}")
    infile.unlink(missing_ok=True)
    result = side_by_side("source", (kc_run, cl_run))
    result["input"] = {"lines": n, "bytes": size}
    return result


def phase_cold(settings: KafkaSettings, libs: Path, work: Path, run_id: str) -> dict[str, Any]:
    log.info("cold start: handler imports")
    out: dict[str, Any] = {"imports": runs.import_times()}
    log.info("cold start: first record")
    out["first_record"] = runs.cold_first_record(settings, libs, work / "cold", run_id)
    log.info("cold start: one ~6 MB batch")
    out["big_batch"] = runs.big_batch_memory(settings, work / "batch", run_id)
    return out


def phase_profile(settings: KafkaSettings, work: Path, n: int, run_id: str, timeout: float) -> str:
    """Connectless's sink and source again, under cProfile (slower, so not measured): where the time goes."""
    n = min(n, 200_000)
    log.info("profiling Connectless's sink and source on %d records", n)
    topic = f"bench-profile-in-{run_id}"
    runs.create_topic(settings, topic)
    produce_records(settings, topic, n)
    name = f"cl-profile-sink-{run_id}"
    folder = work / "profile-sink"
    runs.run_cl_sink(settings, folder, topic, n, timeout * 3, name=name, profile=work / "sink.prof")
    (folder / "out.txt").unlink()
    infile = work / "profile-input.txt"
    write_lines(infile, n)
    runs.run_cl_source(
        settings,
        work / "profile-source",
        infile,
        n,
        timeout * 3,
        name=f"cl-profile-source-{run_id}",
        profile=work / "source.prof",
    )
    infile.unlink()
    return "\n".join(
        [
            f"cProfile of Connectless, {n:,} records each: the child's main thread (not librdkafka's threads).",
            runs.profile_report(work / "sink.prof", "sink: event-source-mapping emulator + functions/sink_task"),
            runs.profile_report(work / "source.prof", "source: SourceTaskRunner + FileStreamSourceTask"),
        ]
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name in ("sink", "source"):
        if name in results:
            r = results[name]
            found.append(
                {
                    "target": f"{name}: Connectless records/s >= Kafka Connect's (ratio >= 1.0)",
                    "measured": f"{r['ratio_records_per_s']:.2f} (steady {r['ratio_steady_records_per_s']:.2f})",
                    "met": r["ratio_records_per_s"] >= 1.0,
                }
            )
    for handler, row in results.get("cold_start", {}).get("imports", {}).items():
        ms = row.get("import_ms_median")
        found.append(
            {
                "target": f"functions/{handler}/app.py imports in under {report.IMPORT_TARGET_MS:.0f} ms",
                "measured": f"{ms:.0f} ms (median of {row['runs']})" if ms is not None else "import failed",
                "met": ms is not None and ms < report.IMPORT_TARGET_MS,
            }
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--only", default=",".join(PHASES), help="comma-separated phases: sink,source,cold")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, offsets) for a look")
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile Connectless's sink and source into <date>-profile.txt (auto: when a records/s target is missed)",
    )
    args = parser.parse_args()
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases {sorted(unknown)}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("connectless").setLevel(logging.ERROR)  # librdkafka's retries while topics appear
    logging.getLogger("connectless_local").setLevel(logging.WARNING)

    begun = time.perf_counter()
    # Bytecode ready, as in any warm checkout: the first child must not pay for compiling the library.
    for folder in ("shared", "functions", "infra/local", "bench"):
        compileall.compile_dir(_REPO / folder, quiet=1)
    run_id = uuid.uuid4().hex[:8]  # in every topic and group name: a shared broker may have older runs
    work = Path(tempfile.mkdtemp(prefix="connectless-bench-"))
    libs = kc.fetch_jars()
    broker: EmbeddedKafka | None = None
    bootstrap = bootstrap_from_env()
    if bootstrap is None:
        log.info("starting the embedded Apache Kafka %s", KAFKA_VERSION)
        broker = EmbeddedKafka(heap="1g").start()
        bootstrap = broker.bootstrap_servers
    settings = KafkaSettings(bootstrap)
    timeout = 120 + args.records / 2000
    results: dict[str, Any] = {
        "benchmark": "side_by_side",
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
            "started": dt.datetime.now(dt.UTC).isoformat(),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "records": args.records,
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "java": kc.java_version(),
            "kafka_version": KAFKA_VERSION,
            "kafka_connect_version": kc.KAFKA_CONNECT_VERSION,
            "git_commit": git_commit(),
            "checkout": "git" if (_REPO / ".git").exists() else "exported tree (git archive), BENCH_GIT_COMMIT",
            "broker": "embedded" if broker else "KAFKA_BOOTSTRAP_SERVERS",
        },
        "notes": [
            "Kafka Connect's FileStreamSink writes each value's toString() (a java.util.Map here: `{k=v, ...}`); "
            "Connectless's writes compact JSON. Same records, same fields after the chain, different text.",
            "CPU is user+system of the whole process (all threads) read from /proc at the moment the last record "
            "is there; for Connectless the process also runs the mapping emulator (consumer, batching, commits), "
            "which Lambda's poller does outside the function.",
            "Powertools Tracer is off in the sink runs (no AWS_LAMBDA_FUNCTION_NAME, as outside Lambda); the "
            "import-time runs set AWS_LAMBDA_FUNCTION_NAME as Lambda does.",
        ],
        "errors": {},
    }
    failed = False
    profile_text = ""
    try:
        if "sink" in phases:
            try:
                results["sink"] = phase_sink(settings, libs, work, args.records, run_id, timeout)
            except Exception:
                failed = True
                results["errors"]["sink"] = traceback.format_exc()
                log.exception("sink phase failed")
        if "source" in phases:
            try:
                results["source"] = phase_source(settings, libs, work, args.records, run_id, timeout)
            except Exception:
                failed = True
                results["errors"]["source"] = traceback.format_exc()
                log.exception("source phase failed")
        if "cold" in phases:
            try:
                results["cold_start"] = phase_cold(settings, libs, work, run_id)
            except Exception:
                failed = True
                results["errors"]["cold"] = traceback.format_exc()
                log.exception("cold-start phase failed")
        if "avro" in phases:  # issue 15: the sink again with Avro values (sidebyside/avro_sink.py)
            try:
                json_run = results.get("sink", {}).get("connectless")
                results["avro"] = avro_sink.phase_avro(settings, work, args.records, run_id, timeout, json_run)
            except Exception:
                failed = True
                results["errors"]["avro"] = traceback.format_exc()
                log.exception("avro phase failed")
        missed = any(results.get(r, {}).get("ratio_records_per_s", 1.0) < 1.0 for r in ("sink", "source"))
        if args.profile == "always" or (args.profile == "auto" and missed):
            try:
                profile_text = phase_profile(settings, work, args.records, run_id, timeout)
                results["profile"] = {
                    "file": f"{results['meta']['date']}-profile.txt",
                    "records": min(args.records, 200_000),
                }
            except Exception:
                failed = True
                results["errors"]["profile"] = traceback.format_exc()
                log.exception("profile phase failed")
    finally:
        if broker is not None:
            broker.stop()
        if args.keep:
            log.info("work folder kept: %s", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if "sink" in results:
        results["cost"] = report.cost_model(results)
    results["targets"] = targets(results)
    results["meta"]["total_s"] = time.perf_counter() - begun
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / results["meta"]["date"]
    stem.with_suffix(".json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    stem.with_suffix(".md").write_text(report.markdown(results))
    report.chart(results, stem.with_suffix(".png"))
    if profile_text:
        Path(f"{stem}-profile.txt").write_text(profile_text)
    print(stem.with_suffix(".md").read_text())
    log.info("written %s.{json,md,png} in %.0f s", stem, results["meta"]["total_s"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
