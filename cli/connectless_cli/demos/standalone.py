"""`make demo`: datagen -> Kafka -> transforms -> file sink, in standalone mode on the embedded broker.

Starts Apache Kafka (or uses KAFKA_BOOTSTRAP_SERVERS), runs the two example connectors in one standalone
worker, shows produced/delivered progress, then compares what the source produced with what arrived.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectless.config.connector_file import load_connector_file
from connectless.kafka.settings import KafkaSettings
from connectless.standalone.scheduled_source import ScheduledSourceRunner
from connectless.standalone.worker import StandaloneWorker, WorkerOptions
from connectless_local.embedded_kafka import EmbeddedKafka, EmbeddedKafkaError, bootstrap_from_env

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "datagen-to-file"


@contextlib.contextmanager
def kafka(console: Console) -> Iterator[str]:
    existing = bootstrap_from_env()
    if existing:
        console.print(f"Using the Kafka broker at [bold]{existing}[/] (KAFKA_BOOTSTRAP_SERVERS)")
        yield existing
        return
    with console.status("Starting Apache Kafka (single KRaft node, fetched with Maven on first use)..."):
        broker = EmbeddedKafka().start()
    console.print(f"Apache Kafka is up at [bold]{broker.bootstrap_servers}[/]")
    try:
        yield broker.bootstrap_servers
    finally:
        with console.status("Stopping Apache Kafka..."):
            broker.stop()


def produced(worker: StandaloneWorker) -> int:
    return sum(
        t.runner.stats.produced
        for ts in worker.threads.values()
        for t in ts
        if isinstance(t.runner, ScheduledSourceRunner)
    )


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def main() -> int:
    console = Console()
    # Client disconnect notices at shutdown are expected here; keep the display clean.
    logging.getLogger("connectless.librdkafka").setLevel(logging.CRITICAL)
    source = load_connector_file(EXAMPLES / "datagen-source.json")
    sink = load_connector_file(EXAMPLES / "file-sink.json")
    total = int(source.config["max.records"])
    run = f"{int(time.time())}"
    with tempfile.TemporaryDirectory(prefix="connectless-demo-") as tmp, kafka(console) as bootstrap:
        out = Path(tmp) / "orders.jsonl"
        topic = f"orders-{run}"
        source.config["kafka.topic"] = topic
        sink.config.update({"topics": topic, "file": str(out), "errors.deadletterqueue.topic.name": f"{topic}-dlq"})
        options = WorkerOptions(rest_port=None, worker_id="demo:0", commit_interval_s=0.5)
        worker = StandaloneWorker(KafkaSettings(bootstrap), options)
        worker.start()
        started = time.monotonic()
        worker.add_connector(f"{source.name}-{run}", source.config)
        worker.add_connector(f"{sink.name}-{run}", sink.config)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            p_task = progress.add_task("produced (offsets committed)", total=total)
            d_task = progress.add_task("delivered to the file sink  ", total=total)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not worker.failed_tasks():
                made, arrived = produced(worker), count_lines(out)
                progress.update(p_task, completed=made)
                progress.update(d_task, completed=arrived)
                if made >= total and arrived >= total:
                    break
                time.sleep(0.2)
        elapsed = time.monotonic() - started
        worker.stop()
        return summarize(console, worker, out, total, elapsed)


def summarize(console: Console, worker: StandaloneWorker, out: Path, total: int, elapsed: float) -> int:
    ids = []
    sample = None
    for line in out.read_text(encoding="utf-8").splitlines() if out.exists() else []:
        value = orjson.loads(line)
        ids.append(value["id"])
        sample = sample or value
    distinct = set(ids)
    missing = total - len(distinct & set(range(total)))
    table = Table(title="Connectless demo: datagen -> Kafka -> InsertField, ReplaceField -> file")
    for column in ("", "records"):
        table.add_column(column)
    table.add_row("produced by the source (offsets committed)", str(produced(worker)))
    table.add_row("lines written by the sink", str(len(ids)))
    table.add_row("distinct ids delivered", str(len(distinct)))
    table.add_row("missing ids", str(missing))
    table.add_row("duplicates (at-least-once redelivery)", str(len(ids) - len(distinct)))
    table.add_row("elapsed", f"{elapsed:.1f} s ({len(ids) / max(elapsed, 1e-9):,.0f} records/s end to end)")
    console.print(table)
    if sample:
        console.print("A delivered record:", orjson.dumps(sample).decode())
    failed = worker.failed_tasks()
    for thread in failed:
        console.print(f"[red]task {thread.name} failed: {thread.error}[/]")
    ok = not failed and missing == 0
    console.print("[bold green]OK: every record produced arrived.[/]" if ok else "[bold red]FAILED[/]")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EmbeddedKafkaError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        sys.exit(2)
