"""The Avro run of `make bench`: the JSON run's sink (same records, same transform chain, same FileStreamSink)
with values in Avro, written by confluent-kafka's AvroSerializer and read by io.confluent.connect.avro.AvroConverter
against a real Confluent-compatible registry (the embedded Apicurio, or SCHEMA_REGISTRY_URL). Keys stay JSON, so
the two runs differ only in the value converter; the result is the per-record CPU ratio Avro / JSON.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson

from sidebyside import runs
from sidebyside.workload import CONVERTERS, make_value, produce_records

if TYPE_CHECKING:
    from pathlib import Path

    from connectless.kafka.settings import KafkaSettings

log = logging.getLogger("bench")

# The fields of workload.make_value, as an Avro record.
AVRO_SCHEMA = {
    "type": "record",
    "name": "Customer",
    "namespace": "bench",
    "fields": [
        {"name": "id", "type": "long"},
        *({"name": n, "type": "string"} for n in ("name", "email", "street", "city", "country", "status", "note")),
        {"name": "created_at", "type": "long"},
    ],
}


def avro_converters(registry_url: str) -> dict[str, str]:
    return {
        **CONVERTERS,
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry_url,
    }


def produce_avro_records(settings: KafkaSettings, topic: str, count: int, registry_url: str) -> dict[str, float]:
    """The JSON run's `count` records, Avro-encoded by confluent-kafka's AvroSerializer, keyed as there."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    serialize = AvroSerializer(SchemaRegistryClient({"url": registry_url}), json.dumps(AVRO_SCHEMA))
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = settings.producer(**{"linger.ms": 20, "batch.size": 1_000_000, "queue.buffering.max.messages": 500_000})
    start = time.perf_counter()
    total = 0
    for i in range(count):
        value = serialize(orjson.loads(make_value(i)), ctx)
        total += len(value)
        while True:
            try:
                producer.produce(topic, value, str(i).encode(), partition=0)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        raise RuntimeError(f"could not produce the {count} Avro records to {topic}")
    return {"records": count, "bytes": total, "seconds": time.perf_counter() - start}


def phase_avro(settings: KafkaSettings, work: Path, n: int, run_id: str, timeout: float) -> dict[str, Any]:
    """Connectless's sink over Avro values right after the same sink over JSON values, once the registry is up:
    side by side (against the sink phase's JSON run, minutes earlier, one full run gave 2.04 where `--only avro`
    gave 1.01 and 1.02)."""
    from connectless_local.schema_registry import EmbeddedSchemaRegistry, url_from_env

    registry = None
    url = url_from_env()
    if url is None:
        log.info("avro: starting the embedded schema registry")
        registry = EmbeddedSchemaRegistry().start()
        url = registry.url
    try:
        result: dict[str, Any] = {"registry": "SCHEMA_REGISTRY_URL" if registry is None else "embedded Apicurio"}
        topic = f"bench-avro-json-in-{run_id}"
        runs.create_topic(settings, topic)
        result["json_input"] = produce_records(settings, topic, n)
        log.info("avro: connectless over JSON values")
        measure = runs.run_cl_sink(settings, work / "avro-json", topic, n, timeout, name=f"cl-json-{run_id}")
        (work / "avro-json" / "out.txt").unlink()
        json_run = measure.as_dict()
        topic = f"bench-avro-in-{run_id}"
        runs.create_topic(settings, topic)
        result["avro_input"] = produce_avro_records(settings, topic, n, url)
        log.info("avro: connectless over Avro values")
        measure = runs.run_cl_sink(settings, work / "avro", topic, n, timeout, name=f"cl-avro-{run_id}",
                                   converters=avro_converters(url))  # fmt: skip
        (work / "avro" / "out.txt").unlink()
        avro = measure.as_dict()
        result["connectless-json"], result["connectless-avro"] = json_run, avro
        result["ratio_cpu_per_record"] = avro["cpu_s_per_million"] / json_run["cpu_s_per_million"]
        result["ratio_steady_cpu_per_record"] = avro["steady_cpu_s_per_million"] / json_run["steady_cpu_s_per_million"]
        result["ratio_records_per_s"] = avro["records_per_s"] / json_run["records_per_s"]
        log.info(
            "avro: %.0f rec/s vs JSON %.0f rec/s; CPU per record Avro/JSON %.2f (steady %.2f)",
            avro["records_per_s"],
            json_run["records_per_s"],
            result["ratio_cpu_per_record"],
            result["ratio_steady_cpu_per_record"],
        )
        return result
    finally:
        if registry is not None:
            registry.stop()
