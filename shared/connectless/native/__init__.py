"""The sink's per-record hot path in C, with the pure-Python path as its fallback.

`_records.c` (built by `make native` for this interpreter and for the Lambda layer's python3.13 on arm64, see
build.py) reads a Lambda Kafka event's JSON bytes straight into RawRecords (lambda_sink/events.py loads_event; an
event it is not sure of goes to orjson), turns a partition's event records into RawRecords and a run of RawRecords
into SinkRecords in one call each, and does the event-source-mapping emulator's per-record work (consumed messages
into RawRecords, each record's event JSON). The callers (lambda_sink/events.py, pipeline/sink.py, raw_records.py,
standalone/esm_emulator.py) read `records` on every batch: None means the extension is not built here or is
switched off (CONNECTLESS_NATIVE=0), and they take the pure-Python path, which gives the same records field for
field (tests/unit/native run both). `avro` is `_avro.c` the same way: AvroConverter's reader of flat records
(converters/registry/avro_native.py) and the dict of a flat Struct's JSON line.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import TYPE_CHECKING

from connectless.data import json_values
from connectless.raw_records import RawRecord
from connectless.records import SinkRecord, TimestampType

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

DISABLE_ENV = "CONNECTLESS_NATIVE"

# Lambda's timestampType names -> Kafka Connect's (what lambda_sink/events.py maps them to).
LAMBDA_TIMESTAMP_TYPES = {
    "CREATE_TIME": TimestampType.CREATE_TIME,
    "LOG_APPEND_TIME": TimestampType.LOG_APPEND_TIME,
    "NO_TIMESTAMP_TYPE": TimestampType.NO_TIMESTAMP_TYPE,
}


def _switched_off() -> bool:
    return os.environ.get(DISABLE_ENV, "1").strip().lower() in {"0", "false", "off"}


def _load() -> ModuleType | None:
    if _switched_off():
        return None
    try:
        from connectless.native import _records  # type: ignore[attr-defined]  # noqa: PLC0415
    except ImportError:  # not built for this interpreter: the pure-Python path
        return None
    # It fills every field of the two record classes: a class with other fields is not one it can build.
    fields = (
        tuple(f.name for f in dataclasses.fields(RawRecord)),
        tuple(f.name for f in dataclasses.fields(SinkRecord)),
    )
    try:
        if fields != (_records.RAW_FIELDS, _records.SINK_FIELDS):
            raise TypeError(f"the record classes' fields {fields} are not {_records.RAW_FIELDS, _records.SINK_FIELDS}")
        _records.bind(RawRecord, SinkRecord, LAMBDA_TIMESTAMP_TYPES, TimestampType.NO_TIMESTAMP_TYPE)
    except (TypeError, AttributeError):  # the record classes are no longer the plain slots classes it fills
        log.warning("connectless.native does not fit this version's record classes: using Python", exc_info=True)
        return None
    return _records


records: ModuleType | None = _load()


def _load_avro() -> ModuleType | None:
    """`_avro.c` (AvroConverter's flat-record reader, a flat Struct's dict for its JSON line), bound to Struct;
    None as for `records`. Its callers: converters/registry/avro_native.py and base.py, data/json_values.py (through
    native_flat_dict), transforms/chain.py and pipeline/sink.py (a run's Structs and records), connectors/file.py."""
    if _switched_off():
        return None
    try:
        from connectless.native import _avro  # type: ignore[attr-defined]  # noqa: PLC0415
    except ImportError:  # not built for this interpreter: fastavro reads, Python builds the dicts
        return None
    from connectless.data.struct import Struct  # noqa: PLC0415 - only with the build

    try:
        _avro.bind(Struct)
        # sink_run fills every SinkRecord field: a class with other fields is not one it can build
        sink_fields = tuple(f.name for f in dataclasses.fields(SinkRecord))
        if sink_fields != _avro.SINK_FIELDS:
            raise TypeError(f"SinkRecord's fields {sink_fields} are not {_avro.SINK_FIELDS}")
        _avro.bind_records(RawRecord, SinkRecord)
    except (TypeError, AttributeError):  # Struct or the records are no longer the plain slots classes it fills
        log.warning("connectless.native._avro does not fit this version's Struct: using Python", exc_info=True)
        return None
    return _avro


avro: ModuleType | None = _load_avro()
json_values.native_flat_dict = avro.flat_dict if avro is not None else None

__all__ = ["DISABLE_ENV", "LAMBDA_TIMESTAMP_TYPES", "avro", "records"]
