"""Records per second per core through decode -> 3 transforms -> encode (issue 3's benchmark).

Workload: JSON records of about 300 bytes through the sink pipeline exactly as the sink function runs it
(SinkPipeline.process_into over a batch of 10,000: converters, the transform chain under errors.*), then each
re-encoded by the JsonConverter:
InsertField$Value (static field), ReplaceField$Value (rename), TimestampConverter$Value (epoch ms -> string).
Run once with schemas.enable=false and once with the JSON envelope (schemas.enable=true).

    python bench/pipeline_throughput.py [--records 1000000]

One thread, so records/s of CPU time is records/s per core. Targets: 150,000 schemaless, 60,000 envelope.
Measured as a task meets its records: every record is new (serialized in chunks of 10,000 between the timed
parts, never a pool cycled through), and the garbage collector runs as it does in production.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from connectless.converters.json_converter import JsonConverter
from connectless.data import INT64_SCHEMA, STRING_SCHEMA, Struct, struct_schema
from connectless.pipeline.sink import SinkPipeline
from connectless.raw_records import RawRecord

if TYPE_CHECKING:
    from connectless.records import SinkRecord

TARGETS = {"schemaless": 150_000, "envelope": 60_000}

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

FIELDS = [
    ("id", INT64_SCHEMA),
    ("name", STRING_SCHEMA),
    ("email", STRING_SCHEMA),
    ("street", STRING_SCHEMA),
    ("city", STRING_SCHEMA),
    ("country", STRING_SCHEMA),
    ("status", STRING_SCHEMA),
    ("note", STRING_SCHEMA),
    ("created_at", INT64_SCHEMA),
]
SCHEMA = struct_schema(FIELDS, name="bench.Customer")


def make_value(i: int) -> dict[str, object]:
    return {
        "id": i,
        "name": f"Customer Number {i}",
        "email": f"customer.{i}@example.com",
        "street": f"{i % 999} Long Example Street, Building {i % 17}",
        "city": ("Amsterdam", "Berlin", "Lisbon", "Dublin")[i % 4],
        "country": ("NL", "DE", "PT", "IE")[i % 4],
        "status": ("active", "suspended", "closed")[i % 3],
        "note": "x" * 84,  # about 300 B serialized, as bench/sidebyside/workload.py
        "created_at": 1_764_000_000_000 + i,
    }


CHUNK = 10_000


def make_inputs(start: int, count: int, envelope: bool, encoder: JsonConverter) -> list[RawRecord]:
    """`count` new serialized records, ids from `start`."""
    raws = []
    for i in range(start, start + count):
        value = make_value(i)
        if envelope:
            struct = Struct(SCHEMA)
            for name, item in value.items():
                struct.put(name, item)
            data = encoder.from_connect_data("bench", SCHEMA, struct)
        else:
            data = orjson.dumps(value)
        raws.append(RawRecord("bench", 0, i, 1_764_000_000_000 + i, "CreateTime", None, data, ()))
    return raws


def run(count: int, envelope: bool) -> dict[str, float]:
    mode = "envelope" if envelope else "schemaless"
    config = {
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "true" if envelope else "false",
        **CHAIN,
    }
    pipeline = SinkPipeline("bench", 0, config, None)
    encode = pipeline.value_converter.from_connect_data
    encoder = JsonConverter()
    encoder.configure({"schemas.enable": "true"}, is_key=False)
    first = make_inputs(0, 1, envelope, encoder)[0]
    sample = pipeline.process(first)
    assert sample is not None
    out_sample = encode("bench", sample.value_schema, sample.value)
    process_into = pipeline.process_into
    cpu = wall = 0.0
    out_bytes = in_bytes = 0
    for start in range(0, count, CHUNK):
        raws = make_inputs(start, min(CHUNK, count - start), envelope, encoder)  # not timed
        in_bytes += sum(len(r.value or b"") for r in raws)
        records: list[SinkRecord] = []
        cpu0, wall0 = time.process_time(), time.perf_counter()
        dropped, stopped_at, _error = process_into(raws, records, [])  # a batch, as the sink function runs it
        for record in records:
            out_bytes += len(encode("bench", record.value_schema, record.value) or b"")
        cpu += time.process_time() - cpu0
        wall += time.perf_counter() - wall0
        if dropped or stopped_at is not None or len(records) != len(raws):
            raise SystemExit(f"{mode}: {dropped} records dropped, stopped at {stopped_at}: not a clean run")
        del raws, records
    size = in_bytes / count
    pipeline.close()
    rate = count / cpu
    verdict = "OK" if rate >= TARGETS[mode] else "MISSED"
    print(f"{mode:11s} {count:>9,} records  {size:5.0f} B in  {rate:>10,.0f} rec/s per core (CPU)"
          f"  {count / wall:>10,.0f} rec/s wall  target {TARGETS[mode]:,}  {verdict}")  # fmt: skip
    print(f"            output sample: {(out_sample or b'')[:160].decode()}...")
    return {"records": count, "input_bytes": size, "cpu_s": cpu, "wall_s": wall, "records_per_cpu_s": rate,
            "target": TARGETS[mode], "output_bytes": out_bytes}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    results = {"schemaless": run(args.records, envelope=False), "envelope": run(args.records, envelope=True)}
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    path = args.out / f"pipeline-{stamp}.json"
    meta = {"python": sys.version.split()[0], "machine": platform.machine(), "command": " ".join(sys.argv)}
    path.write_bytes(orjson.dumps({"benchmark": "pipeline_throughput", **meta, "results": results},
                                  option=orjson.OPT_INDENT_2))  # fmt: skip
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
