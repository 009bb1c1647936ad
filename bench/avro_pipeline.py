"""Per-record CPU of the Avro sink path next to the JSON one, in-process (issue 15): the value converter alone,
the sink pipeline (converters + the bench's 3-SMT chain) and the FileStreamSink's JSON line, then the sink
function as Lambda runs it (the event's JSON parsed as the Python runtime parses it, then SinkBatchHandler into
FileStreamSink; no Kafka, no config topic).

    python bench/avro_pipeline.py [--records 100000] [--profile avro|json]

The records are the bench's (bench/sidebyside/workload.py), the Avro ones encoded by fastavro with the schema the
bench's producer registers, in an in-memory `mock://` registry. Batches of 10,000 are processed as a sink
invocation processes them, the garbage collector on; figures are CPU microseconds per record, best of 3.
--profile prints a cProfile of the function path of one format instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastavro
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from confluent_kafka.schema_registry import Schema  # noqa: E402

from connectless.converters.registry.client import mock_client  # noqa: E402
from connectless.data.json_values import to_json_line  # noqa: E402
from connectless.lambda_sink.events import encode_record  # noqa: E402
from connectless.lambda_sink.handler import SinkBatchHandler  # noqa: E402
from connectless.pipeline.sink import SinkPipeline  # noqa: E402
from connectless.raw_records import RawRecord  # noqa: E402
from sidebyside.avro_sink import AVRO_SCHEMA, avro_converters  # noqa: E402
from sidebyside.workload import CHAIN, CONVERTERS, FIRST_TIMESTAMP_MS, make_value  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from connectless.records import SinkRecord

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


def per_record(batches: Sequence[Any], count: int, work: Callable[[Any], object]) -> float:
    """Best of 3 CPU microseconds per record of `work(batch)` over `batches` (`count` records in all)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for batch in batches:
            work(batch)
        best = min(best, time.process_time() - start)
    return best / count * 1e6


def measure(name: str, converters: dict[str, str], raws: list[RawRecord]) -> dict[str, float]:
    pipeline = SinkPipeline("bench", 0, {"topics": "bench", **converters, **CHAIN}, None)
    to_connect = pipeline.value_converter.to_connect_data
    batches = [raws[at : at + BATCH] for at in range(0, len(raws), BATCH)]

    def convert(batch: list[RawRecord]) -> None:
        for raw in batch:
            to_connect("bench", raw.value)

    def sink(batch: list[RawRecord]) -> None:
        records: list[SinkRecord] = []
        pipeline.process_into(batch, records, [])
        for record in records:
            to_json_line(record.value)

    events = [event(batch) for batch in batches]
    run_function = function(converters)
    result = {
        "value_converter_us": per_record(batches, len(raws), convert),
        "pipeline_and_line_us": per_record(batches, len(raws), sink),
        "function_us": per_record(events, len(raws), run_function),
    }
    pipeline.close()
    print(f"{name:5s} value converter {result['value_converter_us']:6.2f} us/record   "
          f"pipeline + JSON line {result['pipeline_and_line_us']:6.2f} us/record   "
          f"function {result['function_us']:6.2f} us/record")  # fmt: skip
    return result


def event(batch: list[RawRecord]) -> bytes:
    """The batch's Kafka event as Lambda's poller sends it."""
    return (
        b'{"eventSource":"SelfManagedKafka","bootstrapServers":"localhost:9092","records":{"bench-0":['
        + b",".join(map(encode_record, batch))
        + b"]}}"
    )


def function(converters: dict[str, str]) -> Callable[[bytes], object]:
    """The sink function over one event: parsed with simplejson (as Lambda's Python runtime parses it), then the
    handler into FileStreamSink (a file in a temporary directory, emptied after each batch)."""
    import simplejson

    out = Path(tempfile.mkdtemp(prefix="avro-pipeline-")) / "out.txt"
    config = {"name": "bench", "connector.class": "FileStreamSink", "tasks.max": "1", "topics": "bench",
              "file": str(out), **CHAIN, **converters}  # fmt: skip
    handler = SinkBatchHandler(None, None, None)

    def run(payload: bytes) -> None:
        handler.run(config, config, simplejson.loads(payload))
        out.write_bytes(b"")

    return run


def profile(converters: dict[str, str], raws: list[RawRecord]) -> None:
    """A cProfile of the function path over `raws`."""
    events = [event(raws[at : at + BATCH]) for at in range(0, len(raws), BATCH)]
    run = function(converters)
    run(events[0])  # warm: the registry lookups and the plans
    profiler = cProfile.Profile()
    profiler.enable()
    for payload in events:
        run(payload)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--profile", choices=("avro", "json"))
    args = parser.parse_args()
    json_raws, avro_raws = inputs(args.records)
    if args.profile:
        profile(*((avro_converters(REGISTRY), avro_raws) if args.profile == "avro" else (CONVERTERS, json_raws)))
        return 0
    as_json = measure("JSON", CONVERTERS, json_raws)
    as_avro = measure("Avro", avro_converters(REGISTRY), avro_raws)
    for key in as_json:
        print(f"ratio Avro / JSON, {key}: {as_avro[key] / as_json[key]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
