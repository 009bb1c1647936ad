"""`make demo`: the local stack end to end. SQLite -> JDBC source -> Kafka -> Cast + InsertField -> S3 (moto),
five bad rows dead-lettered.

1. seeds /tmp/connectless-demo/orders.db (200 orders, 5 with amount 'n/a');
2. `connectless local up` in-process (moto's server, Kafka, the handlers, the REST API);
3. creates the two connectors of examples/sqlite-to-s3 through the REST API;
4. shows connectors, tasks, records in S3 and the DLQ count until everything has arrived;
5. checks S3 and the dead-letter topic, then takes everything down.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from connectless.config.connector_file import load_connector_file
from connectless_cli.client import ConnectClient
from connectless_cli.client.views import connectors_table
from connectless_local.local_up import LocalSamStack

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sqlite-to-s3"
DB_PATH = Path("/tmp/connectless-demo/orders.db")
ROWS, BAD_ROWS = 200, frozenset({17, 58, 99, 140, 181})
BUCKET, DLQ_TOPIC = "connectless-demo", "demo-orders-dlq"
TIMEOUT_S = 180.0


def seed(path: Path = DB_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount TEXT NOT NULL)")
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [(i, f"customer-{i % 17}", "n/a" if i in BAD_ROWS else f"{i * 1.25:.2f}") for i in range(1, ROWS + 1)],
        )


def s3_records(s3: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
            records.extend(json.loads(line) for line in body.splitlines() if line)
    return records


def dead_letters(bootstrap: str) -> list[Any]:
    """Every record of the DLQ topic (none while the topic does not exist)."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"demo-{time.monotonic_ns()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    try:
        if DLQ_TOPIC not in consumer.list_topics(timeout=5).topics:
            return []
        consumer.subscribe([DLQ_TOPIC])
        found, idle_until = [], time.monotonic() + 3
        while time.monotonic() < idle_until:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                found.append(msg)
                idle_until = time.monotonic() + 1
        return found
    finally:
        consumer.close()


def progress(client: ConnectClient, in_s3: int, in_dlq: int, elapsed: float) -> Group:
    counts = Table("ROWS IN SQLITE", "RECORDS IN S3", "DEAD-LETTERED", "ELAPSED", box=None, header_style="bold")
    counts.add_row(str(ROWS), f"{in_s3} / {ROWS - len(BAD_ROWS)}", f"{in_dlq} / {len(BAD_ROWS)}", f"{elapsed:.0f} s")
    return Group(connectors_table(client.get("/connectors", "expand=status&expand=info")), "", counts)


def check(console: Console, records: list[dict[str, Any]], dlq: list[Any]) -> bool:
    ids = sorted(int(r["id"]) for r in records)
    results = [
        ("every good row is in S3, once", ids == [i for i in range(1, ROWS + 1) if i not in BAD_ROWS]),
        ("amount cast to a number", all(isinstance(r["amount"], float) for r in records)),
        ("records tagged by InsertField", all(r.get("pipeline") == "connectless-local" for r in records)),
        ("the bad rows are in the DLQ", len(dlq) == len(BAD_ROWS)),
        ("with Kafka Connect's error headers", all(
            dict(m.headers() or []).get("__connect.errors.stage") == b"TRANSFORMATION" for m in dlq)),
    ]  # fmt: skip
    for text, ok in results:
        console.print(f"  {'[green]ok[/]' if ok else '[bold red]FAILED[/]'}  {text}")
    return all(ok for _, ok in results)


def main() -> int:
    import boto3

    # the handlers' JSON logs and EMF metrics would bury the progress table
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("connectless.librdkafka", "connectless.kafka.errors", "moto"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*not supported by moto's CloudFormation.*")
    warnings.filterwarnings("ignore", message=".*has already been added.*")  # Powertools, handlers sharing a process
    console = Console()
    seed()
    console.print(f"Seeded [bold]{DB_PATH}[/]: {ROWS} orders, {len(BAD_ROWS)} of them with amount 'n/a'")
    # the S3 sink may write to the bucket only: the stack's parameter grants it, as on AWS
    stack = LocalSamStack(
        rest_port=0, state_file=None, parameters={"SourceTaskTimeout": "20", "ConnectorS3Buckets": BUCKET}
    )
    with console.status("Starting the local stack (moto, Kafka, handlers, REST API)"):
        endpoints = stack.start()
    try:
        console.print(f"Local stack up: REST [bold]{endpoints.rest_url}[/], AWS (moto) {endpoints.aws_endpoint_url}, "
                      f"Kafka {endpoints.bootstrap_servers}")  # fmt: skip
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        client = ConnectClient(endpoints.rest_url)
        for name in ("sqlite-source.json", "s3-sink.json"):
            connector = load_connector_file(EXAMPLE / name)
            status, _ = client.request("PUT", f"/connectors/{connector.name}/config", connector.config)
            console.print(f"connector [bold]{connector.name}[/] {'created' if status == 201 else 'updated'} "
                          "(REST -> Step Functions on moto -> manager)")  # fmt: skip
        started, records, dlq = time.monotonic(), [], []
        with Live(progress(client, 0, 0, 0), console=console, refresh_per_second=2) as live:
            while time.monotonic() - started < TIMEOUT_S:
                records, dlq = s3_records(s3), dead_letters(endpoints.bootstrap_servers)
                live.update(progress(client, len(records), len(dlq), time.monotonic() - started))
                if len(records) >= ROWS - len(BAD_ROWS) and len(dlq) >= len(BAD_ROWS):
                    break
                time.sleep(1)
        console.print("\nChecks:")
        ok = check(console, records, dlq)
        for name in ("orders-db", "orders-s3"):
            client.request("DELETE", f"/connectors/{name}")
    finally:
        with console.status("Taking the local stack down"):
            stack.stop()
    console.print("[bold green]Demo passed[/]" if ok else "[bold red]Demo failed[/]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
