"""Load on the connector manager through `connectless local up`'s REST API (issue 18, point 4).

N connectors with T tasks each (Datagen sources producing nothing, so the figures are the manager's) are created,
paused, resumed and deleted, one request at a time as a client would; each request is timed (p50, p99, max).
Also measured: the config-topic record sizes by kind, the process's RSS (the API and manager handlers run in it,
with moto and the local runtime), and a restart of `local up` holding K source offsets: how long from start()
until the REST API answers with all K of them.

    python bench/manager_load.py [--connectors 100] [--tasks 4] [--offsets 10000] [--out bench/results]

The broker is the embedded Apache Kafka, or KAFKA_BOOTSTRAP_SERVERS. Results: a table, and
<out>/manager-load-<date>.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(_REPO / "shared"), str(_REPO / "infra" / "local")]

import requests  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402

from connectless_local.embedded_kafka import EmbeddedKafka, bootstrap_from_env  # noqa: E402
from connectless_local.local_up import LocalSamStack  # noqa: E402


def rss_mib() -> float:
    """The process's resident set now (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}  # fmt: skip


def timed(method: str, url: str, expect: int, body: Any = None) -> float:
    started = time.perf_counter()
    response = requests.request(method, url, json=body, timeout=300)
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
    return elapsed


def config_record_sizes(bootstrap: str, topic: str) -> dict[str, dict[str, int]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"sizes-{uuid.uuid4().hex}"})
    try:
        end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([TopicPartition(topic, 0, 0)])
        sizes: dict[str, list[int]] = {}
        read = 0
        while read < end:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            read = message.offset() + 1
            key = (message.key() or b"").decode()
            kind = next((k for k in ("connector-", "task-", "commit-", "target-state-") if key.startswith(k)), "other")
            sizes.setdefault(kind.rstrip("-"), []).append(len(message.value() or b""))
    finally:
        consumer.close()
    return {kind: {"records": len(v), "min_bytes": min(v), "mean_bytes": round(statistics.mean(v)),
                   "max_bytes": max(v)} for kind, v in sorted(sizes.items())}  # fmt: skip


def lifecycle(url: str, connectors: int, tasks: int) -> dict[str, Any]:
    names = [f"load-{i:03d}" for i in range(connectors)]
    timings: dict[str, list[float]] = {"create": [], "pause": [], "resume": [], "delete": []}
    memory = {"start": rss_mib()}
    for name in names:
        config = {"connector.class": "Datagen", "tasks.max": str(tasks), "kafka.topic": name, "max.records": "0",
                  "connectless.source.schedule": "rate(1 hour)"}  # fmt: skip
        body = {"name": name, "config": config}
        timings["create"].append(timed("POST", f"{url}/connectors", 201, body))
    memory["after_create"] = rss_mib()
    for name in names:
        timings["pause"].append(timed("PUT", f"{url}/connectors/{name}/pause", 202))
    for name in names:
        timings["resume"].append(timed("PUT", f"{url}/connectors/{name}/resume", 202))
    listed = requests.get(f"{url}/connectors?expand=status", timeout=300).json()
    running = sum(1 for s in listed.values() if s["status"]["connector"]["state"] == "RUNNING")
    memory["after_resume"] = rss_mib()
    return {"names": names, "timings": timings, "memory_mib": memory, "running_after_resume": running}


def delete_all(url: str, names: list[str], timings: dict[str, list[float]]) -> None:
    for name in names:
        timings["delete"].append(timed("DELETE", f"{url}/connectors/{name}", 204))


def restart_with_offsets(stack: LocalSamStack, make_stack: Any, offsets: int) -> tuple[LocalSamStack, dict[str, Any]]:
    """A stopped source holding `offsets` offsets (written by PATCH), then local up stopped and started again."""
    assert stack.endpoints is not None
    url = stack.endpoints.rest_url
    body = {"name": "offsets-holder", "initial_state": "STOPPED",
            "config": {"connector.class": "Datagen", "tasks.max": "1", "kafka.topic": "offsets-holder"}}  # fmt: skip
    timed("POST", f"{url}/connectors", 201, body)
    entries = [{"partition": {"table": "orders", "shard": i}, "offset": {"position": i * 10}} for i in range(offsets)]
    patch_s = timed("PATCH", f"{url}/connectors/offsets-holder/offsets", 200, {"offsets": entries})
    stack.stop()
    started = time.perf_counter()
    again = make_stack()
    again.start()
    up_s = time.perf_counter() - started
    assert again.endpoints is not None
    answered = requests.get(f"{again.endpoints.rest_url}/connectors/offsets-holder/offsets", timeout=300).json()
    total_s = time.perf_counter() - started
    if len(answered["offsets"]) != offsets:
        raise RuntimeError(f"after the restart: {len(answered['offsets'])} offsets, expected {offsets}")
    return again, {"offsets": offsets, "patch_s": round(patch_s, 2), "restart_to_rest_up_s": round(up_s, 2),
                   "restart_to_all_offsets_answered_s": round(total_s, 2)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--offsets", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=_REPO / "bench" / "results")
    args = parser.parse_args()
    kafka = None
    bootstrap = bootstrap_from_env()
    if not bootstrap:
        kafka = EmbeddedKafka().start()
        bootstrap = kafka.bootstrap_servers
    prefix = f"load-{uuid.uuid4().hex[:6]}"
    parameters = {"ConfigTopic": f"{prefix}-configs", "OffsetsTopic": f"{prefix}-offsets",
                  "StatusTopic": f"{prefix}-status"}  # fmt: skip
    state_dir = Path(tempfile.mkdtemp(prefix="manager-load-"))

    def make_stack() -> LocalSamStack:
        return LocalSamStack(rest_port=0, bootstrap_servers=bootstrap, parameters=parameters,
                          state_file=state_dir / "local-up.json")  # fmt: skip

    stack = make_stack()
    try:
        started = time.perf_counter()
        stack.start()
        startup_s = time.perf_counter() - started
        assert stack.endpoints is not None
        run = lifecycle(stack.endpoints.rest_url, args.connectors, args.tasks)
        sizes = config_record_sizes(bootstrap, parameters["ConfigTopic"])
        delete_all(stack.endpoints.rest_url, run["names"], run["timings"])
        run["memory_mib"]["after_delete"] = rss_mib()
        stack, restart = restart_with_offsets(stack, make_stack, args.offsets)
    finally:
        stack.stop()
        if kafka is not None:
            kafka.stop()
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
        "cpus": os.cpu_count(), "connectors": args.connectors, "tasks_per_connector": args.tasks,
        "local_up_start_s": round(startup_s, 2),
        "operations": {op: percentiles(samples) for op, samples in run["timings"].items()},
        "running_after_resume": run["running_after_resume"], "config_records": sizes,
        "rss_mib": run["memory_mib"], "restart": restart,
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"manager-load-{dt.date.today().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"# Manager load through local up ({result['date']})", "",
             f"{args.connectors} connectors x {args.tasks} tasks, one request at a time; {platform.platform()}, "
             f"{os.cpu_count()} CPUs.", "",
             "| operation | n | p50 ms | p99 ms | max ms |", "|---|--:|--:|--:|--:|"]  # fmt: skip
    lines += [f"| {op} | {p['n']} | {p['p50_ms']} | {p['p99_ms']} | {p['max_ms']} |"
              for op, p in result["operations"].items()]  # fmt: skip
    lines += ["", "| config record | records | mean bytes | max bytes |", "|---|--:|--:|--:|"]
    lines += [f"| {k} | {v['records']} | {v['mean_bytes']} | {v['max_bytes']} |" for k, v in sizes.items()]
    lines += ["", f"RSS (MiB, the process running moto, the API and manager handlers and the local runtime): "
              f"{result['rss_mib']}", "",
              f"Restart with {restart['offsets']} source offsets: REST up {restart['restart_to_rest_up_s']} s after "
              f"start, every offset answered {restart['restart_to_all_offsets_answered_s']} s after start "
              f"(writing them by PATCH took {restart['patch_s']} s)."]  # fmt: skip
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
