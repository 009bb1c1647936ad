"""A broker outage in the middle of the work: nothing lost, nothing doubled where the guarantee says so, no FAILED task.

A dedicated broker (not the session's: its outage must not disturb other tests) serves one `connectless standalone`
running, at once, a source at-least-once, two sources exactly-once and a JDBC sink with upserts into PostgreSQL.
While all four are mid-flight the broker process is stopped for OUTAGE_S seconds, then started again on the same
data and ports. Each connector has errors.retry.timeout longer than the outage. One exactly-once source has the
transaction timeout that covers its retries (errors.retry.timeout + 60 s); the other sets
producer.override.transaction.timeout.ms to SHORT_TRANSACTION_MS, shorter than the outage (the broker's
transaction.max.timeout.ms, 15 min by default, allows it): its open transaction times out and is aborted, and the
task replays from its committed offsets; or, when the outage caught it committing, the coordinator takes the late
commit once back (it aborts timed-out transactions on a 10 s check). The worker's log must show one or the other.

After it: the broker answers at the same address with the records written before the outage, the at-least-once
topic holds every id (duplicates allowed), a read_committed consumer sees every id of each exactly-once topic exactly
once, the table holds every id once, and every connector and task is RUNNING.
"""

from __future__ import annotations

import collections
import json
import os
import time
import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
import requests
from fault_stacks import StandaloneProcess, eventually, read_topic, report

from connectless_local.embedded_kafka import EmbeddedKafka

if TYPE_CHECKING:
    from collections.abc import Iterator

    import db_servers

pytestmark = pytest.mark.kafka
OUTAGE_S = float(os.environ.get("OUTAGE_SECONDS", "20"))
TOTAL = 600
RATE = 60  # records per second per source: 10 s of work, the outage once a fifth of it is done
RETRY = {"errors.retry.timeout": "120000", "errors.retry.delay.max.ms": "2000"}
SHORT_TRANSACTION_MS = 5_000  # shorter than the outage
JSON = {"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true"}


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedKafka]:
    with EmbeddedKafka() as kafka:
        yield kafka


def ids_in(bootstrap: str, topic: str, *, committed: bool = False) -> list[int]:
    return [json.loads(value)["payload"]["id"] for _, value, _ in read_topic(bootstrap, topic, committed=committed)]


def test_sources_and_a_sink_ride_out_a_broker_outage(broker: EmbeddedKafka,
                                                     postgres_server: db_servers.PostgresServer) -> None:  # fmt: skip
    bootstrap, tag = broker.bootstrap_servers, uuid.uuid4().hex[:8]
    database = f"outage{tag}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    dsn = postgres_server.dsn.rsplit("/", 1)[0] + "/" + database
    alo, eos, eos_short = f"alo-{tag}", f"eos-{tag}", f"eos-short-{tag}"
    source = {"connector.class": "Datagen", "tasks.max": "1", "max.records": str(TOTAL),
              "records.per.second": str(RATE), "batch.size": "50", **JSON, **RETRY}  # fmt: skip
    connectors: dict[str, dict[str, str]] = {
        "alo": {**source, "kafka.topic": alo},
        "eos": {**source, "kafka.topic": eos, "exactly.once.support": "required"},
        "eos-short": {**source, "kafka.topic": eos_short, "exactly.once.support": "required",
                      "producer.override.transaction.timeout.ms": str(SHORT_TRANSACTION_MS)},
        "pg": {"connector.class": "JdbcSink", "tasks.max": "1", "topics": alo, "table.name.format": "orders",
               "connection.url": f"jdbc:postgresql://127.0.0.1:{postgres_server.port}/{database}?user=postgres",
               "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true",
               **JSON, **RETRY},
    }  # fmt: skip
    worker = StandaloneProcess(bootstrap, f"outage-{tag}")
    try:
        for name, config in connectors.items():
            response = requests.put(f"{worker.url}/connectors/{name}/config", json=config, timeout=60)
            assert response.status_code == 201, response.text

        def rows() -> int:
            with psycopg.connect(dsn) as conn:
                try:
                    return int(conn.execute("SELECT count(DISTINCT id) FROM orders").fetchone()[0])  # type: ignore[index]
                except psycopg.errors.UndefinedTable:
                    return 0

        # mid-flight: every connector has done some of its work, none all of it
        eventually(lambda: len(ids_in(bootstrap, alo)) >= TOTAL // 5 and rows() > 0, 60)
        written = ids_in(bootstrap, alo)
        before = {"alo": len(written), "eos": len(ids_in(bootstrap, eos)),
                  "eos-short": len(ids_in(bootstrap, eos_short)), "rows": rows()}  # fmt: skip
        assert before["alo"] < TOTAL and before["rows"] < TOTAL, before
        broker.stop_broker()
        assert not broker.is_running()
        time.sleep(OUTAGE_S)
        broker.restart_broker()
        back = time.monotonic()
        assert broker.bootstrap_servers == bootstrap  # the same address, with the data written before
        eventually(lambda: set(written) <= set(ids_in(bootstrap, alo)), 60)

        progress: dict[str, int] = {}
        caught_up: dict[str, float] = {}  # seconds after the restart when each had every record

        def done() -> bool:
            progress.update(alo=len(set(ids_in(bootstrap, alo))), rows=rows(),
                            eos=len(ids_in(bootstrap, eos, committed=True)),
                            eos_short=len(ids_in(bootstrap, eos_short, committed=True)))  # fmt: skip
            for key, count in progress.items():
                if count >= TOTAL:
                    caught_up.setdefault(key, round(time.monotonic() - back, 1))
            return len(caught_up) == len(progress)

        try:
            eventually(done, 180, interval_s=1.0)
        except BaseException:
            traces = [
                t.get("trace", "")
                for name in connectors
                for t in requests.get(f"{worker.url}/connectors/{name}/status", timeout=30).json()["tasks"]
            ]
            own = "".join(line for line in worker.lines if "librdkafka" not in line)
            print(f"progress {progress}, states {statuses(worker.url, connectors)}\n{traces}\n{own[-6000:]}")
            raise
        recovered_s = time.monotonic() - back
        at_least_once = ids_in(bootstrap, alo)
        exactly_once = ids_in(bootstrap, eos, committed=True)
        replayed = ids_in(bootstrap, eos_short, committed=True)
        assert set(at_least_once) == set(range(TOTAL))
        for committed in (exactly_once, replayed):
            assert sorted(committed) == list(range(TOTAL)), [i for i, n in collections.Counter(committed).items()
                                                             if n > 1][:10]  # fmt: skip
        # The outage outlasted the short transaction: the task replayed it from its committed offsets (its records
        # timed out, or the coordinator aborted it), or, when the outage caught it committing, the coordinator took
        # the late commit once back (before its abort check came round). Either way: RUNNING, each record once.
        own = [line for line in worker.lines if "eos-short-0" in line and "librdkafka" not in line]
        replays = [line for line in own if "replaying from the committed" in line]
        late = [line for line in own if "past its transaction.timeout.ms" in line]
        assert replays or late, f"the short transaction outlived nothing: {before}\n{''.join(own[-40:])}"
        raw = ids_in(bootstrap, eos_short)  # read_uncommitted: the aborted records are in the log, never committed
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*), count(DISTINCT id) FROM orders").fetchone() == (TOTAL, TOTAL)
        states = statuses(worker.url, connectors)
        assert all(state == "RUNNING" for state in states.values()), states
    finally:
        code = worker.stop()
    assert code == 0, worker.output[-3000:]
    report(f"broker outage of {OUTAGE_S:.0f}s at {before} of {TOTAL} records: recovered {recovered_s:.1f}s after "
           f"the restart (each caught up after, in s: {caught_up}); at-least-once topic {len(at_least_once)} records "
           f"({len(at_least_once) - TOTAL} "
           f"duplicates, none missing), exactly-once {len(exactly_once)} committed (each once); exactly-once with a "
           f"{SHORT_TRANSACTION_MS / 1000:.0f}s transaction: {len(replays)} replays from the committed offsets, "
           f"{len(late)} late commits, "
           f"{len(raw) - len(replayed)} aborted records in the log, {len(replayed)} committed (each once) [the first: "
           f"{(replays or late)[0].split('eos-short-0: ', 1)[-1].strip()[:240]}]; table "
           f"{TOTAL} rows once each; states {sorted(set(states.values()))}")  # fmt: skip


def statuses(url: str, connectors: dict[str, Any]) -> dict[str, str]:
    states: dict[str, str] = {}
    for name in connectors:
        status = requests.get(f"{url}/connectors/{name}/status", timeout=30).json()
        states[name] = status["connector"]["state"]
        states.update({f"{name}-{t['id']}": t["state"] for t in status["tasks"]})
    return states
