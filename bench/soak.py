"""Soak: a source -> transforms -> sink pipeline through `connectless local up` for a while, faults on a rhythm
(issue 18, point 7).

A Datagen source (orders, `--rate` records per second, InsertField on the source side) feeds a JDBC sink with
upserts into PostgreSQL (ReplaceField on the sink side: one field dropped, one renamed), with errors.tolerance=all and
a dead-letter topic. Every `--fault-every` seconds one fault, in turn:

- poison: a few records that are not JSON produced straight into the source topic: the sink's converter fails on
  them, so they must reach the dead-letter topic and nothing else;
- kill: the next sink invocation is killed mid-batch (it writes the first half of its batch, then dies without a
  response, as a Lambda whose sandbox ends): the mapping retries the batch;
- broker: the embedded broker is stopped for `--outage` seconds, then restarted on the same data and port.

After `--minutes` the faults stop, the source finishes its `rate x duration` records, and the run waits for the
sink to catch up. The checks: the table holds exactly the source's ids (each once: the sink is idempotent), the
dead-letter topic exactly the poison records, the connectors RUNNING, and the process's RSS and open file
descriptors flat over the faulted window (its last third against its first third after a warm-up, within the
stated tolerance; the warm-up lasts until half a fault period after the first broker restart, when every kind
of fault has happened once and the clients have reconnected once). The stack process is this one: `local up` runs
here, with moto and every handler.

    python bench/soak.py [--minutes 30] [--rate 20] [--fault-every 180] [--outage 10] [--out bench/results]

SOAK_MINUTES sets the default of --minutes. Writes <out>/soak-<date>-<HHMM>-<commit>.{md,json} (UTC start time:
a run never overwrites an earlier one's report), naming the commit and the command in it; exit status 1 when a check
fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

_REPO = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(_REPO / "shared"), str(_REPO / "infra" / "local"), str(_REPO / "tests")]

import psycopg  # noqa: E402
import requests  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from connectless_local.embedded_kafka import EmbeddedKafka  # noqa: E402
from connectless_local.local_up import LocalSamStack  # noqa: E402
from db_servers import PostgresServer  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

SMT = "org.apache.kafka.connect.transforms."
JSON = {"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter"}  # fmt: skip
RETRY = {"errors.retry.timeout": "300000", "errors.retry.delay.max.ms": "2000"}
POISON_PER_FAULT = 3
WARM_UP_FRACTION = 0.1  # without a broker restart in the run: the first tenth is its warm-up


def rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def open_fds() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


class SinkKiller:
    """Wraps the sink function: when armed, its next invocation with two records or more writes the first half of
    its batch and then dies (no response), as an invocation whose sandbox ends mid-batch."""

    def __init__(self, handler: Callable[[Any, Any], Any]) -> None:
        self.handler = handler
        self.armed = threading.Event()
        self.killed: list[dict[str, int]] = []
        self.fired = threading.Event()

    def __call__(self, event: Any, context: Any) -> Any:
        records = event.get("records") or {}
        total = sum(len(batch) for batch in records.values())
        if not self.armed.is_set() or total < 2:  # noqa: PLR2004
            return self.handler(event, context)
        self.armed.clear()
        keep: dict[str, list[Any]] = {}
        half = left = total // 2
        for key, batch in records.items():
            if left > 0:
                keep[key] = batch[:left]
                left -= len(keep[key])
        self.handler({**event, "records": keep}, context)
        self.killed.append({"batch": total, "written_before_kill": half})
        self.fired.set()
        raise SinkInvocationKilledError(f"sink invocation killed after {half} of {total} records")


class SinkInvocationKilledError(RuntimeError):
    """The function died mid-batch: the mapping sees a function error and retries the batch."""


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) of `topic` up to its end now."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"soak-scan-{uuid.uuid4().hex}",
                         "enable.auto.commit": False})  # fmt: skip
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        if metadata.error is not None:
            return []
        parts = [TopicPartition(topic, p, 0) for p in metadata.partitions]
        ends = {p.partition: consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts}
        consumer.assign(parts)
        pending = {p for p, end in ends.items() if end > 0}
        out: list[tuple[bytes | None, bytes | None]] = []
        deadline = time.monotonic() + 120
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            out.append((message.key(), message.value()))
            partition, offset = int(message.partition() or 0), int(message.offset() or 0)
            if offset + 1 >= ends[partition]:
                pending.discard(partition)
        return out
    finally:
        consumer.close()


class Soak:
    def __init__(
        self, args: argparse.Namespace, kafka: EmbeddedKafka, stack: LocalSamStack, postgres: PostgresServer
    ) -> None:
        self.args = args
        self.kafka = kafka
        self.stack = stack
        self.dsn = postgres.dsn
        self.jdbc_url = f"jdbc:postgresql://127.0.0.1:{postgres.port}/postgres?user=postgres"
        assert stack.endpoints is not None
        self.url = stack.endpoints.rest_url
        self.bootstrap = kafka.bootstrap_servers
        tag = uuid.uuid4().hex[:6]
        self.topic, self.dlq = f"soak-{tag}-orders", f"soak-{tag}-dlq"
        self.total = int(args.rate * args.minutes * 60)
        self.poison: list[str] = []
        self.faults: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self._sampling = threading.Event()

    # -- the pipeline ---------------------------------------------------------------------------------------
    def create_connectors(self) -> None:
        source = {"connector.class": "Datagen", "tasks.max": "1", "kafka.topic": self.topic, "quickstart": "orders",
                  "max.records": str(self.total), "records.per.second": str(self.args.rate), "batch.size": "50",
                  "connectless.source.schedule": "rate(1 minute)",
                  "transforms": "origin", "transforms.origin.type": SMT + "InsertField$Value",
                  "transforms.origin.static.field": "origin", "transforms.origin.static.value": "soak",
                  **JSON, **RETRY}  # fmt: skip
        sink = {"connector.class": "JdbcSink", "tasks.max": "1", "topics": self.topic, "table.name.format": "orders",
                "connection.url": self.jdbc_url, "insert.mode": "upsert", "pk.mode": "record_value",
                "pk.fields": "id", "auto.create": "true",
                "transforms": "shape", "transforms.shape.type": SMT + "ReplaceField$Value",
                "transforms.shape.exclude": "status", "transforms.shape.renames": "amount:price",
                "errors.tolerance": "all", "errors.deadletterqueue.topic.name": self.dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true", **JSON, **RETRY}  # fmt: skip
        for name, config in (("soak-sink", sink), ("soak-source", source)):
            response = requests.put(f"{self.url}/connectors/{name}/config", json=config, timeout=300)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"creating {name}: {response.status_code} {response.text[:300]}")

    def rows(self) -> tuple[int, int]:
        """(rows, distinct ids) in the sink's table; (0, 0) before it exists."""
        try:
            with psycopg.connect(self.dsn, connect_timeout=10) as conn:
                found = conn.execute("SELECT count(*), count(DISTINCT id) FROM orders").fetchone()
                return (int(found[0]), int(found[1])) if found else (0, 0)
        except psycopg.errors.UndefinedTable:
            return (0, 0)

    def states(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in ("soak-source", "soak-sink"):
            status = requests.get(f"{self.url}/connectors/{name}/status", timeout=60).json()
            found[name] = status["connector"]["state"]
            found.update({f"{name}-{t['id']}": t["state"] for t in status["tasks"]})
        return found

    # -- the faults -----------------------------------------------------------------------------------------
    def inject_poison(self) -> dict[str, Any]:
        producer = Producer({"bootstrap.servers": self.bootstrap})
        keys = [f"poison-{len(self.poison) + i}" for i in range(POISON_PER_FAULT)]
        for key in keys:
            producer.produce(self.topic, key=key.encode(), value=b"{this is not json")
        if producer.flush(60) != 0:
            raise RuntimeError("the poison records were not acknowledged")
        self.poison += keys
        return {"records": len(keys)}

    def kill_sink(self, killer: SinkKiller) -> dict[str, Any]:
        killer.fired.clear()
        killer.armed.set()
        if not killer.fired.wait(120):
            killer.armed.clear()
            return {"fired": False}
        return {"fired": True, **killer.killed[-1]}

    def restart_broker(self) -> dict[str, Any]:
        self.kafka.stop_broker()
        time.sleep(self.args.outage)
        started = time.monotonic()
        self.kafka.restart_broker()
        return {"down_s": self.args.outage, "restart_s": round(time.monotonic() - started, 1)}

    def sample_loop(self) -> None:
        while not self._sampling.wait(self.args.sample_every):
            self.samples.append({"t_s": round(time.monotonic() - self.started), "rss_mib": rss_mib(),
                                 "fds": open_fds(), "rows": self.rows()[1],
                                 "threads": threading.active_count()})  # fmt: skip

    def run_faults(self, killer: SinkKiller) -> None:
        kinds: dict[str, Callable[[], dict[str, Any]]] = {
            "poison": self.inject_poison, "kill": lambda: self.kill_sink(killer), "broker": self.restart_broker,
        }  # fmt: skip
        order = list(kinds)
        end = self.started + self.args.minutes * 60
        next_at = self.started + self.args.fault_every
        while next_at < end - 10:
            time.sleep(max(0.0, next_at - time.monotonic()))
            kind = order[len(self.faults) % len(order)]
            at = round(time.monotonic() - self.started)
            detail = kinds[kind]()
            self.faults.append({"kind": kind, "at_s": at, "rows_then": self.rows()[1], **detail})
            print(f"[{at:5d}s] fault {kind}: {detail}", flush=True)
            next_at += self.args.fault_every
        time.sleep(max(0.0, end - time.monotonic()))

    def drain(self) -> dict[str, Any]:
        """Wait until the table holds every source id and the DLQ every poison record (or the drain time ends)."""
        deadline = time.monotonic() + self.args.drain
        dlq_keys: set[str] = set()
        while time.monotonic() < deadline:
            if self.rows()[1] >= self.total:
                dlq_keys = {k.decode() for k, _ in read_topic(self.bootstrap, self.dlq) if k}
                if dlq_keys >= set(self.poison):
                    break
            time.sleep(2)
        return {"drained_after_s": round(time.monotonic() - self.started - self.args.minutes * 60)}

    # -- the checks -----------------------------------------------------------------------------------------
    def counts(self) -> dict[str, Any]:
        topic = read_topic(self.bootstrap, self.topic)
        source_ids = [json.loads(v)["payload"]["id"] for k, v in topic if v and not (k or b"").startswith(b"poison")]
        dlq = read_topic(self.bootstrap, self.dlq)
        dlq_keys = [(k or b"").decode() for k, _ in dlq]
        with psycopg.connect(self.dsn) as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM orders ORDER BY id")]
            columns = [row[0] for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'")]  # fmt: skip
            origins = [row[0] for row in conn.execute("SELECT DISTINCT origin FROM orders")]
        return {
            "source_records_expected": self.total, "topic_records": len(topic),
            "topic_source_records": len(source_ids), "topic_source_distinct": len(set(source_ids)),
            "topic_source_duplicates": len(source_ids) - len(set(source_ids)),
            "source_gaps": len(set(range(self.total)) - set(source_ids)),
            "poison_injected": len(self.poison), "sink_rows": len(ids), "sink_distinct_ids": len(set(ids)),
            "sink_ids_match_source": ids == list(range(self.total)),
            "dlq_records": len(dlq), "dlq_distinct": len(set(dlq_keys)),
            "dlq_matches_poison": set(dlq_keys) == set(self.poison) and bool(self.poison),
            "columns": columns, "origins": origins,
        }  # fmt: skip

    def warm_up_s(self) -> float:
        """Until half a fault period after the first broker restart: every fault kind has come once, and the first
        reconnection's one-off allocations (a client's connections to the broker and to its bootstrap address) are
        made; without a broker restart, the first tenth of the run."""
        restarts = [f["at_s"] for f in self.faults if f["kind"] == "broker"]
        if restarts:
            return float(restarts[0] + self.args.outage + self.args.fault_every / 2)
        return self.args.minutes * 60 * WARM_UP_FRACTION

    def flatness(self) -> dict[str, Any]:
        """The faulted window's samples after the warm-up: the last third's median against the first third's; and
        the samples just before each broker restart, one per fault cycle."""
        warm_up = self.warm_up_s()
        window = [s for s in self.samples if warm_up <= s["t_s"] <= self.args.minutes * 60]
        third = max(1, len(window) // 3)
        restarts = [f["at_s"] for f in self.faults if f["kind"] == "broker" and f["at_s"] > self.samples[0]["t_s"]]
        before_restarts = [max((s for s in self.samples if s["t_s"] < at), key=lambda s: s["t_s"]) for at in restarts]
        result: dict[str, Any] = {"warm_up_s": warm_up, "samples": len(window),
                                  "before_each_broker_restart": [{k: s[k] for k in ("t_s", "rss_mib", "fds")}
                                                                 for s in before_restarts]}  # fmt: skip
        for key, tolerance in (("rss_mib", self.args.rss_tolerance), ("fds", self.args.fd_tolerance)):
            first = statistics.median(s[key] for s in window[:third])
            last = statistics.median(s[key] for s in window[-third:])
            limit = first * (1 + tolerance) if key == "rss_mib" else first + tolerance
            result[key] = {"first_third_median": first, "last_third_median": last,
                           "min": min(s[key] for s in window), "max": max(s[key] for s in window),
                           "limit": round(limit, 1), "flat": last <= limit}  # fmt: skip
        return result


def git_commit() -> str:
    """The commit run, `+dirty` when the library, the handlers or this script differ from it; SOAK_GIT_COMMIT names
    it when running from an exported tree."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=_REPO, capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return os.environ.get("SOAK_GIT_COMMIT", "unknown")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "shared", "functions", "infra", "bench/soak.py")
    return head + ("+dirty" if dirty else "")


def command_line() -> str:
    """How this run was started: `make soak` sets MAKELEVEL in its children."""
    script = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, "bench/soak.py", *sys.argv[1:]])
    minutes = os.environ.get("SOAK_MINUTES")
    command = f"SOAK_MINUTES={minutes} {script}" if minutes else script
    return f"make soak (runs {command})" if os.environ.get("MAKELEVEL") else command


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "30")))
    parser.add_argument("--rate", type=float, default=20.0, help="records per second of the source")
    parser.add_argument("--fault-every", type=float, default=None, help="seconds between faults (default: a tenth "
                        "of the run, at least 30)")  # fmt: skip
    parser.add_argument("--outage", type=float, default=10.0, help="seconds the broker stays down")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between RSS/fd samples")
    parser.add_argument("--drain", type=float, default=600.0, help="seconds to wait for the sink after the run")
    parser.add_argument("--rss-tolerance", type=float, default=0.10, help="allowed RSS growth, as a fraction")
    parser.add_argument("--fd-tolerance", type=int, default=10, help="allowed growth of open file descriptors")
    parser.add_argument("--out", type=Path, default=_REPO / "bench" / "results")
    args = parser.parse_args()
    if args.fault_every is None:
        args.fault_every = max(30.0, args.minutes * 6)
    return args


def main() -> int:
    args = parse_args()
    started_at, commit = dt.datetime.now(dt.UTC), git_commit()
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    postgres = PostgresServer()
    postgres.start()
    # Its own broker, which the soak restarts; a loaded machine once took over 60 s to bring it back.
    kafka = EmbeddedKafka(start_timeout=300).start()
    prefix = f"soak-{uuid.uuid4().hex[:6]}"
    parameters = {"ConfigTopic": f"{prefix}-configs", "OffsetsTopic": f"{prefix}-offsets",
                  "StatusTopic": f"{prefix}-status"}  # fmt: skip
    stack = LocalSamStack(rest_port=0, bootstrap_servers=kafka.bootstrap_servers, parameters=parameters,
                          state_file=workdir / "local-up.json")  # fmt: skip
    try:
        stack.start()
        sink_module = stack._function("sink_task")["module"]  # noqa: SLF001 - the fault goes into the real function
        killer = SinkKiller(sink_module.lambda_handler)
        sink_module.lambda_handler = killer  # the mapping emulator takes it when the sink connector is created
        soak = Soak(args, kafka, stack, postgres)
        soak.create_connectors()
        sampler = threading.Thread(target=soak.sample_loop, name="soak-sampler", daemon=True)
        sampler.start()
        soak.run_faults(killer)
        drained = soak.drain()
        soak._sampling.set()  # noqa: SLF001
        sampler.join(30)
        counts, flat, states = soak.counts(), soak.flatness(), soak.states()
    finally:
        stack.stop()
        kafka.stop()
        postgres.destroy()
    checks = {
        "sink holds exactly the source ids": counts["sink_ids_match_source"] and counts["sink_rows"] == soak.total,
        "no gap in the source topic": counts["source_gaps"] == 0,
        "DLQ holds exactly the poison records": counts["dlq_matches_poison"],
        "transforms applied (origin added, status dropped, amount renamed price)":
            {"origin", "price"} <= set(counts["columns"]) and "status" not in counts["columns"]
            and counts["origins"] == ["soak"],
        "every connector and task RUNNING": all(s == "RUNNING" for s in states.values()),
        f"RSS flat (last third <= first third + {args.rss_tolerance:.0%})": flat["rss_mib"]["flat"],
        f"open fds flat (last third <= first third + {args.fd_tolerance})": flat["fds"]["flat"],
        "every fault fired": all(f.get("fired", True) for f in soak.faults),
    }  # fmt: skip
    result = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "started": started_at.isoformat(timespec="seconds"), "commit": commit, "command": command_line(),
              "machine": platform.platform(),
              "cpus": os.cpu_count(), "minutes": args.minutes, "rate_per_s": args.rate,
              "fault_every_s": args.fault_every, "outage_s": args.outage, "faults": soak.faults, **drained,
              "counts": counts, "states": states, "flatness": flat, "samples": soak.samples,
              "checks": checks}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"soak-{started_at:%Y-%m-%d-%H%M}-{commit.replace('+', '-')}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    report = markdown(result)
    stem.with_suffix(".md").write_text(report)
    print(report)
    sys.stdout.flush()
    return 0 if all(checks.values()) else 1


def markdown(result: dict[str, Any]) -> str:
    counts, flat = result["counts"], result["flatness"]
    faults = ", ".join(f"{f['kind']}@{f['at_s']}s" for f in result["faults"])
    lines = [
        f"# Soak through local up ({result['date']})", "",
        f"{result['minutes']:g} minutes, Datagen at {result['rate_per_s']:g} records/s (InsertField) -> Kafka -> "
        f"JDBC upsert sink into PostgreSQL (ReplaceField), errors.tolerance=all with a DLQ; a fault every "
        f"{result['fault_every_s']:g} s: {faults}. {result['machine']}, {result['cpus']} CPUs. The sink caught up "
        f"{result['drained_after_s']} s after the faulted window.", "",
        f"Commit `{result['commit']}`, started {result['started']}; command: `{result['command']}`.", "",
        "| count | value |", "|---|--:|",
    ]  # fmt: skip
    keys = ("source_records_expected", "topic_records", "topic_source_records", "topic_source_duplicates",
            "source_gaps", "poison_injected", "sink_rows", "sink_distinct_ids", "dlq_records",
            "dlq_distinct")  # fmt: skip
    lines += [f"| {key} | {counts[key]} |" for key in keys]
    kills = [f for f in result["faults"] if f["kind"] == "kill"]
    lines += ["", "Kills (records written before each): "
              + ", ".join(f"{k.get('written_before_kill')}/{k.get('batch')}" for k in kills), ""]  # fmt: skip
    lines += [f"| series (faulted window after a {flat['warm_up_s']:g} s warm-up) | first third median | last third "
              "median | min | max | limit | flat |", "|---|--:|--:|--:|--:|--:|---|"]  # fmt: skip
    for key in ("rss_mib", "fds"):
        s = flat[key]
        lines.append(f"| {key} | {s['first_third_median']} | {s['last_third_median']} | {s['min']} | {s['max']} | "
                     f"{s['limit']} | {s['flat']} |")  # fmt: skip
    cycles = ", ".join(f"{s['t_s']} s: {s['rss_mib']} MiB / {s['fds']}" for s in flat["before_each_broker_restart"])
    lines += ["", f"Just before each broker restart (one per fault cycle; RSS / open fds): {cycles}"]
    series = " ".join(f"{s['t_s']}:{s['rss_mib']}/{s['fds']}" for s in result["samples"])
    lines += ["", f"Samples (t s: RSS MiB / open fds): {series}", "", "| check | holds |", "|---|---|"]
    lines += [f"| {name} | {'yes' if ok else '**no**'} |" for name, ok in result["checks"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Leave without the interpreter's finalization: a 30-minute run once segfaulted there (librdkafka handles of the
    # stopped stack's daemon threads), after the report was written, which made `make soak` fail for nothing.
    os._exit(main())
