"""The data and the connector configs both runtimes get: same records, same file, same transform chain."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from pathlib import Path

    from connectless.kafka.settings import KafkaSettings

# InsertField$Value (static field), ReplaceField$Value (rename), TimestampConverter$Value (epoch ms -> string):
# the chain of bench/pipeline_throughput.py, written once and handed verbatim to both runtimes.
CHAIN = {
    "transforms": "insert,rename,ts",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "pipeline",
    "transforms.insert.static.value": "bench",
    "transforms.rename.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.rename.renames": "email:contact_email,city:town",
    "transforms.ts.type": "org.apache.kafka.connect.transforms.TimestampConverter$Value",
    "transforms.ts.field": "created_at",
    "transforms.ts.target.type": "string",
    "transforms.ts.format": "yyyy-MM-dd'T'HH:mm:ss.SSS",
}

# The worker-level converters of both runtimes (Kafka Connect's worker.properties, Connectless's connector config).
CONVERTERS = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}

FIRST_TIMESTAMP_MS = 1_764_000_000_000


def make_value(i: int) -> bytes:
    """One JSON record of about 300 bytes (286 to 307, 302 on average over a million)."""
    return orjson.dumps(
        {
            "id": i,
            "name": f"Customer Number {i}",
            "email": f"customer.{i}@example.com",
            "street": f"{i % 999} Long Example Street, Building {i % 17}",
            "city": ("Amsterdam", "Berlin", "Lisbon", "Dublin")[i % 4],
            "country": ("NL", "DE", "PT", "IE")[i % 4],
            "status": ("active", "suspended", "closed")[i % 3],
            "note": "x" * 84,
            "created_at": FIRST_TIMESTAMP_MS + i,
        }
    )


def produce_records(settings: KafkaSettings, topic: str, count: int) -> dict[str, float]:
    """`count` records keyed by their id into partition 0 of `topic`; returns the bytes and seconds it took."""
    producer = settings.producer(
        **{
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 500_000,
            "acks": "all",
            "enable.idempotence": True,
        }
    )
    start = time.perf_counter()
    total = 0
    for i in range(count):
        value = make_value(i)
        total += len(value)
        while True:
            try:
                # The record's timestamp is now (the producer's): with the 2025 timestamps of `created_at` the
                # broker's 7-day retention would delete the topic under the run.
                producer.produce(topic, value, str(i).encode(), partition=0)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        raise RuntimeError(f"could not produce the {count} input records to {topic}")
    return {
        "records": count,
        "bytes": total,
        "mean_record_bytes": total / max(count, 1),
        "seconds": time.perf_counter() - start,
    }


def write_lines(path: Path, count: int) -> int:
    """The source input: `count` lines, the same JSON records; returns the file size."""
    with path.open("wb") as out:
        chunk: list[bytes] = []
        for i in range(count):
            chunk.append(make_value(i))
            if len(chunk) == 10_000:
                out.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")
    return path.stat().st_size
