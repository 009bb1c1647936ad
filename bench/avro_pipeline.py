"""Per-record CPU of the Avro sink path next to the JSON one, in-process (issue 15): the value converter alone,
then the sink pipeline (converters + the bench's 3-SMT chain) and the FileStreamSink's JSON line.

    python bench/avro_pipeline.py [--records 100000]

The records are the bench's (bench/sidebyside/workload.py), the Avro ones encoded by fastavro with the schema the
bench's producer registers, in an in-memory `mock://` registry. Batches of 10,000 are processed as a sink
invocation processes them, the garbage collector on; figures are CPU microseconds per record, best of 3.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import fastavro
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from confluent_kafka.schema_registry import Schema  # noqa: E402

from connectless.converters.registry.client import mock_client  # noqa: E402
from connectless.data.json_values import to_json_line  # noqa: E402
from connectless.pipeline.sink import SinkPipeline  # noqa: E402
from connectless.raw_records import RawRecord  # noqa: E402
from sidebyside.avro_sink import AVRO_SCHEMA, avro_converters  # noqa: E402
from sidebyside.workload import CHAIN, CONVERTERS, FIRST_TIMESTAMP_MS, make_value  # noqa: E402

REGISTRY = "mock://bench-avro-pipeline"
BATCH = 10_000


def inputs(count: int) -> tuple[list[RawRecord], list[RawRecord]]:
    schema_id = mock_client(REGISTRY).register_schema("bench-value", Schema(json.dumps(AVRO_SCHEMA), "AVRO"))
    parsed = fastavro.parse_schema(AVRO_SCHEMA)
    header = b"\x00" + schema_id.to_bytes(4, "big")

    def avro(i: int) -> bytes:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, orjson.loads(make_value(i)))
        return header + out.getvalue()

    def raw(i: int, value: bytes) -> RawRecord:
        return RawRecord("bench", 0, i, FIRST_TIMESTAMP_MS + i, "CreateTime", str(i).encode(), value, ())

    return [raw(i, make_value(i)) for i in range(count)], [raw(i, avro(i)) for i in range(count)]


def per_record(raws: list[RawRecord], work: object) -> float:
    """Best of 3 CPU microseconds per record of `work(batch)` over `raws` in batches."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for at in range(0, len(raws), BATCH):
            work(raws[at : at + BATCH])  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    return best / len(raws) * 1e6


def measure(name: str, converters: dict[str, str], raws: list[RawRecord]) -> dict[str, float]:
    pipeline = SinkPipeline("bench", 0, {"topics": "bench", **converters, **CHAIN}, None)
    to_connect = pipeline.value_converter.to_connect_data

    def convert(batch: list[RawRecord]) -> None:
        for raw in batch:
            to_connect("bench", raw.value)

    def sink(batch: list[RawRecord]) -> None:
        records: list[object] = []
        pipeline.process_into(batch, records, [])  # type: ignore[arg-type]
        for record in records:
            to_json_line(record.value)  # type: ignore[attr-defined]

    result = {"value_converter_us": per_record(raws, convert), "pipeline_and_line_us": per_record(raws, sink)}
    pipeline.close()
    print(f"{name:5s} value converter {result['value_converter_us']:6.2f} us/record   "
          f"pipeline + JSON line {result['pipeline_and_line_us']:6.2f} us/record")  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    json_raws, avro_raws = inputs(args.records)
    as_json = measure("JSON", CONVERTERS, json_raws)
    as_avro = measure("Avro", avro_converters(REGISTRY), avro_raws)
    for key in as_json:
        print(f"ratio Avro / JSON, {key}: {as_avro[key] / as_json[key]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
