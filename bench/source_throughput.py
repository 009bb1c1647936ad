"""Source throughput through the source function's library path, per invocation budget (issue 5's benchmark).

For each source (Datagen; the SQL source on SQLite, or on --jdbc-url) and each invocation budget, invocations
of SourceTaskHandler.handle run one after another, as EventBridge Scheduler would fire them, until every record
is produced: each claims the task (transactional fence), reads the offsets, starts the task, polls until its
record budget, produces, and commits the offsets after the broker acknowledged the records. Reported: records/s
produced *with offsets committed* over the whole sequence, at-least-once and exactly-once. In the same run, the
raw confluent-kafka produce rate (idempotent producer, acks=all, the same value bytes) gives the ceiling.

    python bench/source_throughput.py [--records 200000] [--budgets 10000,50000,0] [--jdbc-url jdbc:...]

A budget of 0 means one invocation for everything. Results: a table, and bench/results/source-<date>.json.
The broker is the embedded Apache Kafka, or KAFKA_BOOTSTRAP_SERVERS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

_REPO = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(_REPO / "shared"), str(_REPO / "infra" / "local")]

from connectless.kafka.settings import KafkaSettings  # noqa: E402
from connectless.lambda_source.handler import SourceBudget, SourceTaskHandler  # noqa: E402
from connectless.storage import ConfigStore, KafkaLog, OffsetStore, StatusStore, TargetState  # noqa: E402
from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS  # noqa: E402
from connectless_local.embedded_kafka import EmbeddedKafka, bootstrap_from_env  # noqa: E402

JSON = {"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"}


def raw_produce_rate(settings: KafkaSettings, values: list[bytes], topic: str) -> dict[str, Any]:
    producer = settings.producer(**{"enable.idempotence": True, "acks": "all", "linger.ms": 5})
    start = time.perf_counter()
    for value in values:
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)
    seconds = time.perf_counter() - start
    return {"records": len(values), "seconds": round(seconds, 3), "records_per_s": round(len(values) / seconds)}


class World:
    """Own state topics per measured sequence, so that every run starts from empty offsets."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self.prefix = f"bench-src-{uuid.uuid4().hex[:8]}"
        self.configs = ConfigStore(KafkaLog(settings, f"{self.prefix}-configs"))
        self.configs.start()

    def handler(self, budget: SourceBudget) -> SourceTaskHandler:
        offsets = OffsetStore(KafkaLog(self.settings, f"{self.prefix}-offsets", partitions=OFFSETS_TOPIC_PARTITIONS))
        statuses = StatusStore(KafkaLog(self.settings, f"{self.prefix}-status", partitions=5))
        configs = ConfigStore(KafkaLog(self.settings, f"{self.prefix}-configs"))
        for store in (configs, offsets, statuses):
            store.start()
        return SourceTaskHandler(
            self.settings, configs, offsets, statuses, worker_id="bench", cluster_id=self.prefix, budget=budget
        )


def run_sequence(settings: KafkaSettings, config: dict[str, str], total: int, budget: int) -> dict[str, Any]:
    world = World(settings)
    world.configs.put_connector_config("src", {"name": "src", **config})
    world.configs.put_task_configs("src", [{"name": "src", **config}])
    world.configs.put_target_state("src", TargetState.STARTED)
    limit = budget or None
    handler = world.handler(SourceBudget(safety_margin_s=0.0, max_records=limit, max_idle_s=0.05))
    produced, invocations, durations = 0, 0, []
    start = time.perf_counter()
    while produced < total and invocations < 10_000:
        result = handler.handle("src", 0, remaining_s=lambda: 900.0)
        if result.outcome != "RAN" or result.records_in == 0:
            raise RuntimeError(f"invocation {invocations} did nothing: {result}")
        produced += result.records_out
        invocations += 1
        durations.append(result.duration_s)
    seconds = time.perf_counter() - start
    return {
        "budget": budget or "all",
        "invocations": invocations,
        "records": produced,
        "seconds": round(seconds, 3),
        "records_per_s": round(produced / seconds),
        "mean_invocation_s": round(sum(durations) / len(durations), 3),
    }


def sqlite_table(rows: int, directory: Path) -> str:
    path = directory / "bench.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, item TEXT, amount REAL, "
                 "status TEXT, updated_at TIMESTAMP)")  # fmt: skip
    now = dt.datetime(2024, 1, 1).isoformat(" ")
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)",
        ((i, f"customer-{i % 1000:04d}", "apple", i % 10_000 / 100, "NEW", now) for i in range(1, rows + 1)),
    )
    conn.commit()
    conn.close()
    return f"jdbc:sqlite:{path}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--budgets", default="10000,50000,0")
    parser.add_argument("--jdbc-url", help="a table `orders` with an incrementing `id` (default: a SQLite file)")
    parser.add_argument("--out", type=Path, default=_REPO / "bench" / "results")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        existing = bootstrap_from_env()
        kafka = None if existing else EmbeddedKafka()
        if kafka is not None:
            kafka.start()
        try:
            settings = KafkaSettings(existing or kafka.bootstrap_servers)  # type: ignore[union-attr]
            results = measure(settings, args, budgets, Path(tmp))
        finally:
            if kafka is not None:
                kafka.stop()
    report(results, args)
    return 0


def measure(settings: KafkaSettings, args: argparse.Namespace, budgets: list[int], tmp: Path) -> dict[str, Any]:
    total = args.records
    jdbc_url = args.jdbc_url or sqlite_table(total, tmp)
    sample = orjson.dumps({"id": 123456, "customer": "customer-0123", "item": "apple", "amount": 12.34,
                           "status": "NEW", "created_at": 1700000000000})  # fmt: skip
    raw = raw_produce_rate(settings, [sample] * total, f"bench-raw-{uuid.uuid4().hex[:8]}")
    sources = {
        "datagen": lambda topic: {"connector.class": "Datagen", "kafka.topic": topic, "max.records": str(total),
                                  "batch.size": "1000", **JSON},
        "sql": lambda topic: {"connector.class": "JdbcSource", "connection.url": jdbc_url, "mode": "incrementing",
                              "incrementing.column.name": "id", "table.whitelist": "orders", "topic.prefix": topic,
                              "batch.max.rows": "1000", "poll.interval.ms": "1000", **JSON},
    }  # fmt: skip
    runs = []
    for source, make in sources.items():
        for guarantee in ("at-least-once", "exactly-once"):
            for budget in budgets:
                config = make(f"bench-{source}-{uuid.uuid4().hex[:8]}")
                if guarantee == "exactly-once":
                    config["exactly.once.support"] = "required"
                row = {"source": source, "guarantee": guarantee, **run_sequence(settings, config, total, budget)}
                row["vs_raw"] = round(row["records_per_s"] / raw["records_per_s"], 3)
                runs.append(row)
                print(f"{source:8} {guarantee:14} budget {row['budget']!s:>6}: {row['records_per_s']:>8} rec/s "
                      f"({row['invocations']} invocations)", flush=True)  # fmt: skip
    return {"raw_produce": raw, "runs": runs, "sql_url": jdbc_url.split("?")[0] if args.jdbc_url else "sqlite"}


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    raw = results["raw_produce"]
    print(f"\nraw confluent-kafka produce (idempotent, acks=all): {raw['records_per_s']:,} records/s")
    header = f"{'source':8} {'guarantee':14} {'budget':>7} {'invocations':>11} {'records/s':>10} {'x raw':>6} " \
             f"{'s/invocation':>12}"  # fmt: skip
    print(header)
    print("-" * len(header))
    for row in results["runs"]:
        print(f"{row['source']:8} {row['guarantee']:14} {row['budget']!s:>7} {row['invocations']:>11} "
              f"{row['records_per_s']:>10,} {row['vs_raw']:>6} {row['mean_invocation_s']:>12}")  # fmt: skip
    doc = {
        "benchmark": "source_throughput",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
        "command": " ".join(sys.argv),
        "records": args.records,
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"source-{dt.date.today().isoformat()}.json"
    path.write_text(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    print(f"\nwritten {path}")


if __name__ == "__main__":
    sys.exit(main())
