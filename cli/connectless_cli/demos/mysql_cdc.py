"""`make demo-mysql`: MariaDB (row binlog) -> MySQL CDC source -> Kafka -> OpenSearch sink, on one machine.

Starts Apache Kafka (or uses KAFKA_BOOTSTRAP_SERVERS), an OpenSearch node from Maven Central's jars (or uses
OPENSEARCH_URL) and a throwaway MariaDB with the row binlog; creates an `inventory.products` table with rows;
runs the two connectors of examples/mysql-to-opensearch in one standalone worker; once the snapshot is in
the index, inserts, updates, deletes and alters the table; then compares the table with the index.
"""

from __future__ import annotations

import contextlib
import decimal
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pymysql
import requests
from confluent_kafka.admin import NewTopic
from rich.console import Console
from rich.table import Table

from connectless.config.connector_file import load_connector_file
from connectless.kafka.settings import KafkaSettings
from connectless.standalone.worker import StandaloneWorker, WorkerOptions
from connectless_cli.demos.standalone import kafka
from connectless_local.embedded_kafka import EmbeddedKafkaError
from connectless_local.embedded_opensearch import EmbeddedOpenSearch, url_from_env
from connectless_local.mariadb_binlog import MariaDBBinlogServer

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "mysql-to-opensearch"
ROWS = 100


@contextlib.contextmanager
def opensearch(console: Console) -> Iterator[str]:
    existing = url_from_env()
    if existing:
        console.print(f"Using the OpenSearch at [bold]{existing}[/] (OPENSEARCH_URL)")
        yield existing
        return
    with console.status("Starting OpenSearch (one node from Maven Central's jars, fetched on first use)..."):
        node = EmbeddedOpenSearch().start()
    console.print(f"OpenSearch is up at [bold]{node.url}[/]")
    try:
        yield node.url
    finally:
        with console.status("Stopping OpenSearch..."):
            node.stop()


@contextlib.contextmanager
def mariadb(console: Console) -> Iterator[MariaDBBinlogServer]:
    with console.status("Starting MariaDB with the row binlog..."):
        server = MariaDBBinlogServer().start()
    console.print(f"MariaDB is up at [bold]127.0.0.1:{server.port}[/] (binlog_format=ROW, GTIDs on)")
    try:
        yield server
    finally:
        server.destroy()


def table_rows(db: MariaDBBinlogServer) -> dict[str, dict[str, Any]]:
    conn = pymysql.connect(**db.params, database="inventory")
    with conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SELECT * FROM products")
        return {str(row["id"]): _plain(row) for row in cur.fetchall()}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, decimal.Decimal) else v for k, v in row.items() if k != "updated_at"}


def index_docs(url: str, index: str) -> dict[str, dict[str, Any]]:
    if requests.post(f"{url}/{index}/_refresh", timeout=10).status_code == 404:
        return {}
    hits = requests.get(f"{url}/{index}/_search", params={"size": 10_000}, timeout=10).json()["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def comparable(docs: dict[str, dict[str, Any]], columns: set[str]) -> dict[str, dict[str, Any]]:
    # a row indexed before ALTER TABLE has no document field for the new column: that is its NULL
    return {i: {k: doc.get(k) for k in columns} for i, doc in docs.items()}


def wait_until(check: Any, timeout: float, worker: StandaloneWorker) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not worker.failed_tasks():
        if check():
            return True
        time.sleep(0.3)
    return bool(check())


def changes(db: MariaDBBinlogServer) -> list[str]:
    """Inserts, updates, deletes and a DDL change, as an application would make them."""
    statements = [
        *(f"UPDATE products SET price = price + 1, stock = stock - 1 WHERE id = {i}" for i in range(1, 21)),
        *(f"DELETE FROM products WHERE id = {i}" for i in range(91, 101)),
        *(
            f"INSERT INTO products (id, name, price, stock) VALUES ({i}, 'gadget {i}', 9.99, {i})"
            for i in range(101, 111)
        ),  # fmt: skip
        "ALTER TABLE products ADD COLUMN colour VARCHAR(20)",
        *(
            f"INSERT INTO products (id, name, price, stock, colour) VALUES ({i}, 'widget {i}', 4.50, 3, 'teal')"
            for i in range(111, 116)
        ),  # fmt: skip
        "UPDATE products SET colour = 'red' WHERE id BETWEEN 1 AND 5",
    ]
    conn = pymysql.connect(**db.params, database="inventory", autocommit=True)
    with conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    return statements


def create_inventory(db: MariaDBBinlogServer) -> None:
    conn = pymysql.connect(**db.params, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE inventory")
        cur.execute(
            "CREATE TABLE inventory.products (id INT PRIMARY KEY, name VARCHAR(80) NOT NULL, price DECIMAL(10,2), "
            "stock INT, updated_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3))"
        )
        cur.executemany(
            "INSERT INTO inventory.products (id, name, price, stock) VALUES (%s, %s, %s, %s)",
            [(i, f"product {i}", decimal.Decimal(i) + decimal.Decimal("0.99"), i * 10) for i in range(1, ROWS + 1)],
        )


def report(console: Console, worker: StandaloneWorker, index: str, result: dict[str, Any]) -> int:
    rows, docs = result["rows"], result["docs"]
    table = Table(title="Connectless demo: MariaDB binlog -> Kafka -> ExtractNewRecordState, RegexRouter -> OpenSearch")
    table.add_column("")
    table.add_column("value")
    table.add_row("rows in inventory.products", str(len(rows)))
    table.add_row(f"documents in {index}", str(len(docs)))
    table.add_row("index equals table", "yes" if result["synced"] else "NO")
    table.add_row("elapsed", f"{result['elapsed']:.1f} s")
    console.print(table)
    if "1" in docs:
        console.print("document 1:", orjson.dumps(docs["1"]).decode())
    for thread in worker.failed_tasks():
        console.print(f"[red]task {thread.name} failed: {thread.error}[/]")
    ok = result["snapshot_ok"] and result["synced"] and not worker.failed_tasks()
    console.print(
        "[bold green]OK: every insert, update and delete reached OpenSearch.[/]" if ok else "[bold red]FAILED[/]"
    )
    return 0 if ok else 1


def main() -> int:
    console = Console()
    logging.getLogger("connectless.librdkafka").setLevel(logging.CRITICAL)
    source = load_connector_file(EXAMPLES / "mysql-source.json")
    sink = load_connector_file(EXAMPLES / "opensearch-sink.json")
    run = f"{int(time.time())}"
    prefix = f"inventory{run}"
    index = f"{prefix}-products"
    with kafka(console) as bootstrap, opensearch(console) as url, mariadb(console) as db:
        create_inventory(db)
        source.config.update({"database.port": str(db.port), "database.user": db.params["user"],
                              "database.password": db.params["password"], "topic.prefix": prefix})  # fmt: skip
        sink.config.update({
            "connection.url": url, "topics.regex": rf"{prefix}\.inventory\..*",
            "transforms.index.regex": rf"{prefix}\.inventory\.(.*)", "transforms.index.replacement": f"{prefix}-$1",
            "errors.deadletterqueue.topic.name": f"{prefix}-dlq",
        })  # fmt: skip
        worker = StandaloneWorker(
            KafkaSettings(bootstrap), WorkerOptions(rest_port=None, worker_id="demo:0", commit_interval_s=0.5)
        )
        worker.start()
        started = time.monotonic()
        try:
            worker.add_connector(f"{source.name}-{run}", source.config)
            # The sink's consumer fails on a subscription that matches no topic yet: create the table's topic first.
            admin = KafkaSettings(bootstrap).admin()
            topic = f"{prefix}.inventory.products"
            admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
            worker.add_connector(f"{sink.name}-{run}", sink.config)
            with console.status(f"Snapshot of {ROWS} rows -> Kafka -> OpenSearch index {index}..."):
                snapshot_ok = wait_until(lambda: len(index_docs(url, index)) >= ROWS, 120, worker)
            console.print(f"snapshot in the index: {len(index_docs(url, index))} documents")
            applied = changes(db)
            console.print(f"applied {len(applied)} statements (updates, deletes, inserts, ALTER TABLE)")
            rows = table_rows(db)
            columns = set(next(iter(rows.values())))
            with console.status("Waiting for the changes to reach the index..."):
                synced = wait_until(lambda: comparable(index_docs(url, index), columns) == rows, 120, worker)
            elapsed = time.monotonic() - started
            docs = index_docs(url, index)
        finally:
            worker.stop()
    result = {"rows": rows, "docs": docs, "synced": synced, "snapshot_ok": snapshot_ok, "elapsed": elapsed}
    return report(console, worker, index, result)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EmbeddedKafkaError as exc:
        print(f"demo-mysql: {exc}", file=sys.stderr)
        sys.exit(2)
