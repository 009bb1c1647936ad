"""Records per second through the event-source-mapping emulator and the sink function (issue 4's benchmark).

One topic of N JSON records (~300 B, keyed, one partition) on a real broker, drained four ways, each in a fresh
process with its own consumer group, in this order:
1. raw:  confluent-kafka `Consumer.consume()` touching each value, with the project's consumer settings: the
   ceiling of any consumer in Python; raw_stock: the same with librdkafka's stock fetch.queue.backoff.ms (1 s),
   which idles a fast consumer (librdkafka#2879), for context only;
2. null: EventSourceMappingEmulator -> functions/sink_task/app.py -> NullSink (converters, no write);
3. file: the same into FileStreamSink (one JSON line per record, checked to hold all N);
4. raw again: the broker and the machine did not change under the run.
Then one ~6 MB Lambda event (10,000 records, the BatchSize limit) goes through the handler in a fresh process,
parsed with the stdlib json as the Python runtime does; the process's peak RSS (VmHWM, from its exec on) is what
a 128 MB function would have to hold.

    python bench/sink_throughput.py [--records 1000000] [--chain] [--batch-size 10000]

The connector config is JsonConverter (schemas.enable=false) for key and value; --chain adds the transform chain
of bench/pipeline_throughput.py. The emulator runs as Lambda's poller would (JSON round trip of every event,
commit after each batch); its time and the handler's are reported apart. Targets: the sink drains at at least
half the raw consume rate (steady: first record to last, so the group join is not counted); the 6 MB batch
peaks under 128 MB. Nothing asserts: the verdicts are printed and written to bench/results/sink-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
# This checkout's library, whatever checkout the virtualenv's editable install points at.
sys.path[1:1] = [str(REPO / "shared"), str(REPO / "infra" / "local"), str(REPO / "bench")]

SINK_APP = REPO / "functions" / "sink_task" / "app.py"
RATIO_TARGET = 0.5
RSS_TARGET_BYTES = 128 * 1024 * 1024
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024

log = logging.getLogger("bench.sink")


# -- children: each measurement in its own process ------------------------------------------------------
def _cpu() -> float:
    return time.process_time()  # every thread of the process, librdkafka's included


def child_raw(spec: dict[str, Any]) -> dict[str, Any]:
    from connectless.kafka.settings import KafkaSettings

    settings = KafkaSettings(spec["bootstrap"])
    total = spec["records"]
    # stock: librdkafka's own fetch.queue.backoff.ms (1 s) instead of the project's consumer default (10 ms).
    stock = {"fetch.queue.backoff.ms": 1000} if spec.get("stock") else {}
    consumer = settings.consumer(f"bench-raw-{uuid.uuid4().hex[:8]}", **{"enable.partition.eof": False, **stock})
    wall0, cpu0 = time.perf_counter(), _cpu()
    consumer.subscribe([spec["topic"]])
    count = size = 0
    first: float | None = None
    while count < total:
        messages = consumer.consume(spec["batch_size"], 1.0)
        if messages and first is None:
            first = time.perf_counter()
        for msg in messages:
            if msg.error() is None:
                size += len(msg.value() or b"")
                count += 1
    end = time.perf_counter()
    cpu = _cpu() - cpu0
    consumer.close()
    return _rates(count, wall0, first or end, end, cpu) | {"bytes": size}


def load_handler_module(path: Path) -> Any:
    """functions/<name>/app.py as Lambda loads it: a top-level module named `app`."""
    spec = importlib.util.spec_from_file_location("app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    return module


def child_sink(spec: dict[str, Any]) -> dict[str, Any]:
    from connectless.kafka.settings import KafkaSettings
    from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

    app = load_handler_module(SINK_APP)
    settings = KafkaSettings(spec["bootstrap"])
    total = spec["records"]
    handler_wall = handler_cpu = 0.0
    first: list[float] = []

    def invoke(event: dict[str, Any], context: Any) -> Any:
        nonlocal handler_wall, handler_cpu
        if not first:
            first.append(time.perf_counter())
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            return app.lambda_handler(event, context)
        finally:
            handler_wall += time.perf_counter() - wall0
            handler_cpu += time.thread_time() - cpu0

    config = MappingConfig(spec["connector"], [spec["topic"]], batch_size=spec["batch_size"],
                           maximum_batching_window_s=0.5)  # fmt: skip
    esm = EventSourceMappingEmulator(settings, config, invoke)
    wall0, cpu0 = time.perf_counter(), _cpu()
    esm.start()
    idle = 0
    while esm.stats.records_succeeded < total and idle < 30:
        idle = 0 if esm.run_once(idle_timeout=1.0) else idle + 1
    end = time.perf_counter()
    cpu = _cpu() - cpu0
    stats = esm.stats
    esm.stop()
    delivered = stats.records_succeeded
    handler = app.function.handler
    written: int | None = None
    if handler is not None:
        running = handler._tasks.get(spec["connector"])
        written = getattr(running.task, "records", None) if running is not None else None
        handler.close()
    if spec.get("file"):
        with Path(spec["file"]).open("rb") as lines:
            written = sum(1 for _ in lines)
    payloads = stats.payload_sizes
    return _rates(delivered, wall0, first[0] if first else end, end, cpu) | {
        "records_written": written,
        "batches": stats.batches,
        "invocations": stats.invocations,
        "function_errors": stats.function_errors,
        "mean_batch_records": delivered / max(stats.batches, 1),
        "mean_payload_bytes": sum(payloads) / len(payloads) if payloads else 0,
        "max_payload_bytes": max(payloads, default=0),
        "handler_wall_s": handler_wall,
        "handler_cpu_s": handler_cpu,
        "handler_records_per_s": delivered / handler_wall if handler_wall else 0.0,
        "peak_rss_bytes": _peak_rss(),
    }


def child_batch(spec: dict[str, Any]) -> dict[str, Any]:
    """One ~6 MB event through the handler, twice (cold, then warm); the process's peak RSS."""
    rss_start = _rss()
    from connectless.runtime.lambda_context import EmulatedLambdaContext

    app = load_handler_module(SINK_APP)
    rss_imported = _rss()
    payload = Path(spec["event_file"]).read_bytes()
    runs = []
    for name in ("cold", "warm"):
        wall0, cpu0 = time.perf_counter(), _cpu()
        event = json.loads(payload)  # the runtime interface client parses with the stdlib
        records = sum(len(v) for v in event["records"].values())
        context = EmulatedLambdaContext("connectless-sink", spec["connector"], timeout_s=300)
        response = app.lambda_handler(event, context)
        del event
        runs.append({"invocation": name, "records": records, "wall_s": time.perf_counter() - wall0,
                     "cpu_s": _cpu() - cpu0, "rss_after_bytes": _rss(), "peak_rss_bytes": _peak_rss(),
                     "failures": len(response.get("batchItemFailures", []))})  # fmt: skip
    if app.function.handler is not None:
        app.function.handler.close()
    return {"payload_bytes": len(payload), "rss_at_start_bytes": rss_start, "rss_after_import_bytes": rss_imported,
            "runs": runs, "peak_rss_bytes": _peak_rss(), "ru_maxrss_bytes": _ru_maxrss()}  # fmt: skip


def _rates(count: int, start: float, first: float, end: float, cpu: float) -> dict[str, Any]:
    steady = end - first
    return {
        "records": count,
        "wall_s": end - start,
        "steady_s": steady,
        "cpu_s": cpu,
        "records_per_s": count / (end - start) if end > start else 0.0,
        "steady_records_per_s": count / steady if steady > 0 else 0.0,
        "records_per_cpu_s": count / cpu if cpu > 0 else 0.0,
    }


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


def _rss() -> int:
    return _status("VmRSS:")


def _peak_rss() -> int:
    """The kernel's high-water mark of this process's resident set (VmHWM), which starts afresh at exec.

    getrusage's ru_maxrss does not: Linux folds the pre-exec address space into it, so a child started by a
    parent holding 150 MB reports at least 150 MB whatever it does itself (ru_maxrss_bytes shows it)."""
    return _status("VmHWM:")


def _ru_maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


CHILDREN = {"raw": child_raw, "sink": child_sink, "batch": child_batch}


def run_child(mode: str, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        result_path = Path(out.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--spec", json.dumps(spec),
           "--result", str(result_path)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"{mode} child failed ({proc.returncode}): {proc.stderr.decode()[-3000:]}")
        result: dict[str, Any] = orjson.loads(result_path.read_bytes())
        return result
    finally:
        result_path.unlink(missing_ok=True)


# -- the parent: broker, data, configs, the runs, the report ---------------------------------------------
def connector_config(name: str, topic: str, sink: str, chain: bool, file: Path | None) -> dict[str, str]:
    from sidebyside.workload import CHAIN, CONVERTERS

    config = {"name": name, "topics": topic, "connector.class": sink, **CONVERTERS, **(CHAIN if chain else {})}
    if file is not None:
        config["file"] = str(file)
    return config


def six_mb_event(bootstrap: str, topic: str, path: Path) -> dict[str, Any]:
    """10,000 workload records padded so the event is just under 6 MB, written as the JSON Lambda sends."""
    from connectless.lambda_sink.events import build_event
    from connectless.raw_records import RawRecord
    from connectless.records import TimestampType
    from sidebyside.workload import FIRST_TIMESTAMP_MS, make_value

    def event_bytes(pad: int) -> bytes:
        raws = []
        for i in range(10_000):
            value = orjson.loads(make_value(i))
            value["pad"] = "p" * pad
            raws.append(RawRecord(topic, 0, i, FIRST_TIMESTAMP_MS + i, TimestampType.CREATE_TIME, str(i).encode(),
                                  orjson.dumps(value), ()))  # fmt: skip
        return orjson.dumps(build_event(raws, bootstrap))

    low, high = 0, 2000
    while low < high:  # the largest padding that still fits
        mid = (low + high + 1) // 2
        if len(event_bytes(mid)) <= MAX_PAYLOAD_BYTES:
            low = mid
        else:
            high = mid - 1
    data = event_bytes(low)
    path.write_bytes(data)
    return {"records": 10_000, "payload_bytes": len(data), "value_bytes": len(make_value(0)) + low + 9}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=10_000, help="BatchSize of the mapping (Lambda's max)")
    parser.add_argument("--chain", action="store_true", help="add InsertField, ReplaceField, TimestampConverter")
    parser.add_argument("--only", default="raw,null,file,batch", help="comma-separated subset of the runs")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        logging.basicConfig(level=logging.WARNING)
        result = CHILDREN[args.child](json.loads(args.spec))
        args.result.write_bytes(orjson.dumps(result))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from connectless_local.embedded_kafka import EmbeddedKafka, bootstrap_from_env

    existing = bootstrap_from_env()
    broker = None if existing else EmbeddedKafka().start()
    try:
        bootstrap = existing or (broker.bootstrap_servers if broker else "")
        results = run_all(args, bootstrap)
    finally:
        if broker is not None:
            broker.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    path = args.out / f"sink-{stamp}.json"
    meta = {"python": sys.version.split()[0], "machine": platform.machine(), "cpus": os.cpu_count(),
            "loadavg": [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]],
            "command": " ".join(["python", *sys.argv])}  # fmt: skip
    path.write_bytes(orjson.dumps({"benchmark": "sink_throughput", **meta, **results}, option=orjson.OPT_INDENT_2))
    print(f"written {path}")
    return 0


def run_all(args: argparse.Namespace, bootstrap: str) -> dict[str, Any]:
    from confluent_kafka.admin import NewTopic

    from connectless.kafka.settings import KafkaSettings
    from connectless.storage import ConfigStore, KafkaLog
    from sidebyside.workload import produce_records

    only = set(args.only.split(","))
    settings = KafkaSettings(bootstrap)
    run = uuid.uuid4().hex[:8]
    topic, config_topic, status_topic = f"bench-sink-{run}", f"bench-configs-{run}", f"bench-status-{run}"
    admin = settings.admin()  # kept referenced until the topic exists
    # The workload's timestamps are fixed in the past: time-based retention would delete them mid-run.
    admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "-1"})])[topic].result(30)
    log.info("producing %d records to %s", args.records, topic)
    produced = produce_records(settings, topic, args.records)
    log.info("produced in %.1f s (%.0f B per record)", produced["seconds"], produced["mean_record_bytes"])
    tmp = Path(tempfile.mkdtemp(prefix="connectless-bench-sink-"))
    out_file = tmp / "out.jsonl"
    configs = ConfigStore(KafkaLog(settings, config_topic, partitions=1))
    configs.start()
    names = {"null": f"bench-null-{run}", "file": f"bench-file-{run}", "batch": f"bench-batch-{run}"}
    configs.put_connector_config(names["null"], connector_config(names["null"], topic, "NullSink", args.chain, None))
    configs.put_connector_config(names["file"], connector_config(names["file"], topic, "FileStreamSink", args.chain,
                                                                 out_file))  # fmt: skip
    configs.put_connector_config(names["batch"], connector_config(names["batch"], topic, "FileStreamSink",
                                                                  args.chain, tmp / "batch.jsonl"))  # fmt: skip
    configs.log.stop()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "CONNECTLESS_CONFIG_TOPIC": config_topic,
           "CONNECTLESS_STATUS_TOPIC": status_topic, "POWERTOOLS_LOG_LEVEL": "WARNING",
           "POWERTOOLS_METRICS_NAMESPACE": "Connectless", "POWERTOOLS_TRACE_DISABLED": "true"}  # fmt: skip
    base = {"bootstrap": bootstrap, "topic": topic, "records": args.records, "batch_size": args.batch_size}
    results: dict[str, Any] = {"records": args.records, "chain": args.chain, "batch_size": args.batch_size,
                               "produced": produced, "runs": {}}  # fmt: skip
    runs = results["runs"]
    plan = [
        ("raw", "raw", {}),
        ("raw_stock", "raw", {"stock": True}),
        ("null", "sink", {"connector": names["null"]}),
        ("file", "sink", {"connector": names["file"], "file": str(out_file)}),
        ("raw_again", "raw", {}),
    ]
    for label, mode, extra in plan:
        if label.removesuffix("_again").removesuffix("_stock") not in only:
            continue
        log.info("run %s ...", label)
        runs[label] = run_child(mode, base | extra, env)
        r = runs[label]
        log.info("%-9s %9d records  %9.0f rec/s steady  %9.0f rec/s overall  %9.0f rec/s per CPU s", label,
                 r["records"], r["steady_records_per_s"], r["records_per_s"], r["records_per_cpu_s"])  # fmt: skip
    raws = [runs[k]["steady_records_per_s"] for k in ("raw", "raw_again") if k in runs]
    if raws:
        reference = max(raws)
        cpu_reference = max(runs[k]["records_per_cpu_s"] for k in ("raw", "raw_again") if k in runs)
        results["raw_reference_records_per_s"] = reference
        results["raw_reference_records_per_cpu_s"] = cpu_reference
        for label in ("null", "file"):
            if label in runs:
                r = runs[label]
                ratio = r["steady_records_per_s"] / reference
                r["ratio_to_raw"] = ratio
                r["ratio_to_raw_per_cpu_s"] = r["records_per_cpu_s"] / cpu_reference
                r["emulator_cpu_s"] = r["cpu_s"] - r["handler_cpu_s"]
                r["verdict"] = "OK" if ratio >= RATIO_TARGET else "MISSED"
                if "raw_stock" in runs:
                    r["ratio_to_raw_stock"] = r["steady_records_per_s"] / runs["raw_stock"]["steady_records_per_s"]
                print(f"{label:5s} sink: {r['steady_records_per_s']:>10,.0f} rec/s vs raw consume {reference:>10,.0f}"
                      f" rec/s = {ratio:.2f} (target {RATIO_TARGET})  {r['verdict']};"
                      f" per CPU s {r['records_per_cpu_s']:,.0f} vs {cpu_reference:,.0f} ="
                      f" {r['ratio_to_raw_per_cpu_s']:.2f}; handler {r['handler_records_per_s']:,.0f} rec/s of its"
                      f" own time ({r['handler_cpu_s']:.1f} of {r['cpu_s']:.1f} CPU s);"
                      f" written {r['records_written']}/{r['records']}")  # fmt: skip
                if "ratio_to_raw_stock" in r:
                    print(
                        f"      (against a consumer with librdkafka's stock 1 s fetch queue backoff,"
                        f" {runs['raw_stock']['steady_records_per_s']:,.0f} rec/s: {r['ratio_to_raw_stock']:.2f})"
                    )
    if "batch" in only:
        event_file = tmp / "event.json"
        results["batch_event"] = six_mb_event(bootstrap, topic, event_file)
        batch = run_child("batch", base | {"connector": names["batch"], "event_file": str(event_file)}, env)
        batch["verdict"] = "OK" if batch["peak_rss_bytes"] < RSS_TARGET_BYTES else "MISSED"
        results["batch"] = batch
        print(f"6 MB batch ({batch['payload_bytes']:,} B, {batch['runs'][0]['records']} records): peak RSS "
              f"{batch['peak_rss_bytes'] / 2**20:.1f} MiB (after imports {batch['rss_after_import_bytes'] / 2**20:.1f}"
              f" MiB), target 128 MiB  {batch['verdict']}")  # fmt: skip
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()
    return results


if __name__ == "__main__":
    sys.exit(main())
