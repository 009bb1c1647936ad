"""The sink side: a consumed Kafka record -> header, key, value converters -> transforms -> SinkRecord for put().

Each step runs through the connector's RetryWithToleranceOperator, so `errors.*` decides what a failure
means. The batch protocol of a sink runtime, in order:
1. `process(raw)` for every consumed record; None means dropped (a transform) or failed and tolerated;
2. `SinkTask.put(records)`; a record put cannot write goes through `report(...)` or the errant reporter;
3. `flush(timeout)`: every dead-lettered record acknowledged, or it raises and the batch fails;
4. `SinkTask.flush`, then the consumer offsets are committed (by the event-source mapping).
"""

from __future__ import annotations

import time
from itertools import repeat
from typing import TYPE_CHECKING, Any

from connectless import native
from connectless.connector import SinkTask
from connectless.errors.errant import SinkErrantRecordReporter
from connectless.errors.exceptions import ToleranceExceededError
from connectless.errors.stage import Stage
from connectless.pipeline.base import PipelineBase
from connectless.pipeline.common import best_effort_bytes, headers_bytes
from connectless.raw_records import RawRecord
from connectless.records import EMPTY_HEADERS, Header, Headers, SinkRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from concurrent.futures import Future

    from connectless.data.schema import Schema
    from connectless.data.schema_and_value import SchemaAndValue
    from connectless.errors.reporters import ErrorReporter
    from connectless.kafka.settings import KafkaSettings
    from connectless.raw_records import RawHeaders
    from connectless.transforms.base import MapRunStep, MapStep

    RawLookup = Callable[[str, int, int], RawRecord | None]
    BatchReader = Callable[[Sequence[bytes | None]], list[Any]]


class SinkPipeline(PipelineBase[RawRecord, SinkRecord]):
    """Turns consumed records into the SinkRecords a task's put() receives, under the connector's errors.*.

    `settings` locates the Kafka cluster of the dead letter queue; None (offline tools) produces nothing.
    `reporters` are extra error reporters (after the DLQ and log ones); `clock`/`sleep` drive retries.

    Example:
        pipeline = SinkPipeline("pg-sink", 0, connector_config, KafkaSettings.from_env())
        records = [r for r in map(pipeline.process, batch) if r is not None]
        task.put(records)
        pipeline.flush(30)
    """

    def __init__(
        self,
        connector_name: str,
        task_id: int,
        config: Mapping[str, str],
        settings: KafkaSettings | None = None,
        *,
        reporters: Sequence[ErrorReporter] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(connector_name, task_id, config, settings, reporters=reporters, clock=clock, sleep=sleep)
        # Bound once: the per-record path then allocates nothing but the records themselves.
        self._key_to_connect = self.key_converter.to_connect_data
        self._value_to_connect = self.value_converter.to_connect_data
        self._header_to_connect = self.header_converter.to_connect_header
        read_key, read_value = self.key_converter.schemaless_reader(), self.value_converter.schemaless_reader()
        self._read_keys: BatchReader | None = None
        self._read_values: BatchReader | None = None
        self._value_run_steps: tuple[MapRunStep, ...] | None = None
        # A run's Structs through the owned value rewrite in one C call (_process_keyed_into); None: per record.
        self._struct_run: Callable[[Sequence[Any]], tuple[Schema, list[Any]] | None] | None = None
        steps, transform = self.chain.value_map_steps() if self._transform is not None else None, self._transform
        if read_value is not None and (read_key is not None or steps is not None):
            self._read_value = read_value
            self._read_values = self.value_converter.schemaless_batch_reader()
            if read_key is not None:
                self._read_key = read_key
                self._read_keys = self.key_converter.schemaless_batch_reader()
            key_pair, value_pair = (
                self.key_converter.schemaless_reader_pair() if read_key is not None else None,
                self.value_converter.schemaless_reader_pair(),
            )
            self._reader_pairs = None if key_pair is None or value_pair is None else (key_pair, value_pair)
            if transform is None:
                self._process_fast = self._process_schemaless_unchained  # type: ignore[method-assign]
            else:
                self._chained: Callable[[SinkRecord], SinkRecord | None] = transform
                self._value_steps: tuple[MapStep, ...] = steps or ()
                self._value_run_steps = self.chain.value_map_run_steps()
                if read_key is None:  # a key with a schema (StringConverter, Avro, ...): read by to_connect_data
                    self._process_fast = self._process_typed_key_mapped  # type: ignore[method-assign]
                else:
                    chained = self._process_schemaless if steps is None else self._process_schemaless_mapped
                    self._process_fast = chained  # type: ignore[method-assign]
        else:
            if transform is not None:
                # the record _process_fast builds is its own: a fused value-side chain may set the result on it
                self._transform = self.chain.owned_value_rewrite() or transform
                self._struct_run = self.chain.owned_value_struct_run()
            if read_key is not None:  # a schemaless key (JSON without schemas, String) beside a schema'd value
                self._read_key = read_key
                self._process_fast = self._process_schemaless_key  # type: ignore[method-assign]
                self._read_keys = self.key_converter.schemaless_batch_reader()
                self._to_connect_values = self.value_converter.batch_reader()

    def _process_schemaless(self, raw: RawRecord) -> SinkRecord | None:
        """_process_fast for converters whose schema is always None (JsonConverter, schemas.enable=false), with a
        transform chain."""
        return self._chained(self._process_schemaless_unchained(raw))

    def _process_schemaless_mapped(self, raw: RawRecord) -> SinkRecord | None:
        """_process_schemaless when the chain is value-side map steps: a map value freshly read is owned here, so
        the steps change it in place and one record is built instead of two (the record is not yet anyone's)."""
        record = self._process_schemaless_unchained(raw)
        value = record.value
        if type(value) is not dict:
            return self._chained(record)
        for step in self._value_steps:
            value = step(record, value)
        record.value = value
        return record

    def _process_typed_key_mapped(self, raw: RawRecord) -> SinkRecord | None:
        """_process_schemaless_mapped with the key read by its converter's to_connect_data (a key converter with a
        schema, such as StringConverter's, beside a schemaless value)."""
        key_schema, key = self._key_to_connect(raw.topic, raw.key)
        data = raw.value
        value = None if data is None else self._read_value(data)
        record = SinkRecord(
            raw.topic,
            raw.partition,
            key_schema,
            key,
            None,
            value,
            raw.timestamp,
            self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
            raw.offset,
            raw.timestamp_type,
        )
        if type(value) is not dict:
            return self._chained(record)
        for step in self._value_steps:
            value = step(record, value)
        record.value = value
        return record

    def process_into(
        self, raws: Sequence[RawRecord], records: list[SinkRecord], originals: list[RawRecord]
    ) -> tuple[int, int | None, ToleranceExceededError | None]:
        """`process(raw)` for each of `raws` in order, a run at a time: each converted record is appended to
        `records` and its raw to `originals`. Returns (dropped, stopped_at, error): how many were dropped or
        failed and tolerated, and, when a failure is not tolerated, the index of that raw and its
        ToleranceExceededError (nothing after it is processed).

        With a schemaless value converter and a chain of value map steps, a run is done in three passes: its values
        are read by the converter's batch reader in one call (its keys too when the key converter is schemaless,
        else one by one by to_connect_data) and its records built; each map step runs over the run's map values at
        once (`OperandRewrite.owned_map_run_step`); then a record whose value is not a map goes through the chain.
        With connectless.native built and both converters schemaless, the records are built and the map steps run
        from C instead (`_converted_run`, `_map_run_native`). Nothing in the first two passes has an effect outside
        the run, so when a reader or a step raises (a record the fast path does not read, or one a transform fails),
        the run is done again record by record, where each failure is handled and reported in order. Either way it
        does exactly what `process` does, record for record (tests/unit/errors/test_pipelines.py checks the two
        against each other). A schemaless key beside a value converter with schemas takes `_process_keyed_into`."""
        fast = self._process_fast
        keyed = fast == self._process_typed_key_mapped
        if not self._optimistic or not (keyed or fast == self._process_schemaless_mapped):
            if self._optimistic and fast == self._process_schemaless_key:
                return self._process_keyed_into(raws, records, originals)
            return self._process_each_into(raws, records, originals)
        one_by_one = self._process_each_into if keyed else self._process_mapped_into
        read_keys, read_values, run_steps = self._read_keys, self._read_values, self._value_run_steps
        fast_records = native.records
        if fast_records is not None and (keyed or self._reader_pairs is not None):
            converted = self._native_run(raws, keyed, read_values)
            if converted is None:
                return one_by_one(raws, records, originals)
            return self._map_run_native(fast_records, raws, converted, records, originals)
        if read_values is None or run_steps is None or (read_keys is None and not keyed):
            return one_by_one(raws, records, originals)
        try:
            built, values, all_maps = self._mapped_run(raws, read_keys, read_values, run_steps)
        except Exception:
            return one_by_one(raws, records, originals)
        if all_maps:
            records.extend(built)
            originals.extend(raws)
            return 0, None, None
        chained = self._chained
        append, keep = records.append, originals.append
        dropped = 0
        for index, (raw, built_record, value) in enumerate(zip(raws, built, values, strict=True)):
            record: SinkRecord | None = built_record
            if type(value) is not dict:  # not a map: the chain's own path, as `process` takes it
                try:
                    record = chained(built_record)
                except Exception:
                    try:
                        record = self._process_staged(raw)
                    except ToleranceExceededError as error:
                        return dropped, index, error
            if record is None:
                dropped += 1
                continue
            append(record)
            keep(raw)
        return dropped, None, None

    def _native_run(
        self, raws: Sequence[RawRecord], keyed: bool, read_values: BatchReader | None
    ) -> list[SinkRecord] | None:
        """The run's SinkRecords for connectless.native's map steps: built in one C call when both converters are
        schemaless, else (a key converter with a schema) by `_built_run`. None: read the run record by record."""
        if not keyed:
            return self._converted_run(raws)
        if read_values is None:
            return None
        try:
            return self._built_run(raws, None, read_values)[0]
        except Exception:
            return None

    def _map_run_native(
        self,
        fast: Any,
        raws: Sequence[RawRecord],
        converted: list[SinkRecord],
        records: list[SinkRecord],
        originals: list[RawRecord],
    ) -> tuple[int, int | None, ToleranceExceededError | None]:
        """process_into's loop with the map steps run from C (connectless.native.map_values) over each stretch of
        records whose values they take, the others one by one here."""
        steps, n = self._value_steps, len(converted)
        dropped = start = 0
        while start < n:
            stop = fast.map_values(converted, steps, start)
            if stop > start:
                records.extend(converted[start:stop])
                originals.extend(raws[start:stop])
            if stop >= n:
                break
            try:
                record = self._unmapped(raws[stop], converted[stop])
            except ToleranceExceededError as error:
                return dropped, stop, error
            if record is None:
                dropped += 1
            else:
                records.append(record)
                originals.append(raws[stop])
            start = stop + 1
        return dropped, None, None

    def _unmapped(self, raw: RawRecord, built: SinkRecord) -> SinkRecord | None:
        """A record of process_into's run the map steps did not take: its value is not a map (the whole chain
        then), or a step raised on it (the staged path, from the raw record). Raises ToleranceExceededError."""
        if type(built.value) is not dict:
            try:
                return self._chained(built)
            except Exception:
                pass
        return self._process_staged(raw)

    def _converted_run(self, raws: Sequence[RawRecord]) -> list[SinkRecord] | None:
        """The SinkRecords of `raws` before the chain, their keys and values read by the schemaless readers a run
        at a time (one C call with connectless.native built, else the converters' batch readers); None when the
        run must be read record by record (a reader raised for one of them)."""
        fast = native.records
        pairs = self._reader_pairs
        if fast is not None and pairs is not None:
            try:
                return fast.sink_records(raws, *pairs, self._convert_headers, EMPTY_HEADERS)
            except Exception:
                return None
        read_keys, read_values = self._read_keys, self._read_values
        if read_keys is None or read_values is None:
            return None
        try:
            keys = read_keys([raw.key for raw in raws])
            values = read_values([raw.value for raw in raws])
            return [
                SinkRecord(
                    raw.topic,
                    raw.partition,
                    None,
                    keys[index],
                    None,
                    values[index],
                    raw.timestamp,
                    self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
                    raw.offset,
                    raw.timestamp_type,
                )
                for index, raw in enumerate(raws)
            ]
        except Exception:
            return None

    def _mapped_run(
        self,
        raws: Sequence[RawRecord],
        read_keys: BatchReader | None,
        read_values: BatchReader,
        run_steps: tuple[MapRunStep, ...],
    ) -> tuple[list[SinkRecord], list[Any], bool]:
        """process_into's first two passes: the run's records, each map value through every map step, the values as
        read (a record whose value is not a map keeps it, for the chain), and whether every value was a map. Raises
        what a reader, a header converter or a step raises; it reports nothing."""
        built, values = self._built_run(raws, read_keys, read_values)
        maps = [record for record in built if type(record.value) is dict]
        owned: list[dict[str, Any]] = [record.value for record in maps]
        for step in run_steps:
            owned = step(maps, owned)
        for record, mapped in zip(maps, owned, strict=True):
            record.value = mapped
        return built, values, len(maps) == len(built)

    def _built_run(
        self, raws: Sequence[RawRecord], read_keys: BatchReader | None, read_values: BatchReader
    ) -> tuple[list[SinkRecord], list[Any]]:
        """The run's SinkRecords before the chain, and its values as read: the values by the batch reader, the keys
        by theirs or (a key converter with a schema) by to_connect_data. Raises what a reader or a header converter
        raises."""
        values = read_values([raw.value for raw in raws])
        key_schemas: Iterable[Schema | None]
        if read_keys is not None:
            keys, key_schemas = read_keys([raw.key for raw in raws]), repeat(None)
        else:
            to_key, keys, key_schemas = self._key_to_connect, [], []
            add_key, add_schema = keys.append, key_schemas.append
            for raw in raws:  # each pair unpacked at once: a run of them kept alive would be the collector's to scan
                key_schema, key = to_key(raw.topic, raw.key)
                add_schema(key_schema)
                add_key(key)
        convert_headers = self._convert_headers
        built = [
            SinkRecord(
                raw.topic,
                raw.partition,
                key_schema,
                key,
                None,
                value,
                raw.timestamp,
                convert_headers(raw) if raw.headers else EMPTY_HEADERS,
                raw.offset,
                raw.timestamp_type,
            )
            # key_schemas may be an endless repeat(None)
            for raw, key_schema, key, value in zip(raws, key_schemas, keys, values, strict=False)
        ]
        return built, values

    def _process_mapped_into(
        self, raws: Sequence[RawRecord], records: list[SinkRecord], originals: list[RawRecord]
    ) -> tuple[int, int | None, ToleranceExceededError | None]:
        """process_into's loop with each key and value read on its own (a run the batch readers refused)."""
        read_key, read_value, steps, chained = self._read_key, self._read_value, self._value_steps, self._chained
        append, keep = records.append, originals.append
        dropped = 0
        for index, raw in enumerate(raws):
            record: SinkRecord | None
            try:
                key, value = raw.key, raw.value
                record = SinkRecord(
                    raw.topic,
                    raw.partition,
                    None,
                    None if key is None else read_key(key),
                    None,
                    None if value is None else read_value(value),
                    raw.timestamp,
                    self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
                    raw.offset,
                    raw.timestamp_type,
                )
                mapped = record.value
                if type(mapped) is dict:
                    for step in steps:
                        mapped = step(record, mapped)
                    record.value = mapped
                else:
                    record = chained(record)
            except Exception:
                try:
                    record = self._process_staged(raw)
                except ToleranceExceededError as error:
                    return dropped, index, error
            if record is None:
                dropped += 1
                continue
            append(record)
            keep(raw)
        return dropped, None, None

    def _process_keyed_into(
        self, raws: Sequence[RawRecord], records: list[SinkRecord], originals: list[RawRecord]
    ) -> tuple[int, int | None, ToleranceExceededError | None]:
        """process_into for a schemaless key beside a value converter with schemas (Avro, Protobuf, JSON Schema
        keyed by plain JSON or strings): a run of one topic has its keys and its values read by the converters'
        batch readers, one call each, then each record goes through the chain as `_process_schemaless_key` sends
        it. When a batch reader raises (a record of the run it cannot read), the run is read record by record.
        With connectless.native built and a chain of value rewrites that all have C ops, the run's Structs go
        through the chain (_FusedRewrites.struct_run) and their records are built (_avro.sink_run) in one call
        each; a record either leaves out (headers, a null value, a step that raises) takes the loop below.
        tests/unit/transforms/test_struct_run.py checks both against the Python path."""
        read_keys, to_connect_values = self._read_keys, self._to_connect_values
        if read_keys is None or to_connect_values is None or not raws:
            return self._process_each_into(raws, records, originals)
        topic = raws[0].topic
        fast = native.avro
        # the run's keys and values taken in C where it is (and its topics checked), else in Python
        columns = (
            fast.raw_columns(raws, topic) if fast is not None and type(raws) is list and type(topic) is str else None
        )
        try:
            if columns is None:
                if any(raw.topic != topic for raw in raws):
                    raise ValueError("a run of several topics")
                columns = [raw.key for raw in raws], [raw.value for raw in raws]
            keys = read_keys(columns[0])
            values = to_connect_values(topic, columns[1])
        except Exception:
            return self._process_each_into(raws, records, originals)
        transform = self._transform
        # the chain's Struct steps over the whole run in C: each record's new Struct, or None for apply_owned
        done = None if self._struct_run is None else self._struct_run(values)
        final_schema, transformed = done if done is not None else (None, repeat(None))
        built: Iterable[SinkRecord | None] = repeat(None)
        if done is not None and fast is not None and type(keys) is list:  # and the records of those built in C
            raws = raws if type(raws) is list else list(raws)
            made, fallbacks = fast.sink_run(raws, keys, final_schema, done[1], EMPTY_HEADERS)
            if not fallbacks:  # every record built in C: nothing left for the loop
                records.extend(made)
                originals.extend(raws)
                return 0, None, None
            built = made
        append, keep = records.append, originals.append
        dropped = 0
        for index, (raw, new_value, ready) in enumerate(zip(raws, transformed, built, strict=False)):
            record: SinkRecord | None
            if ready is not None:
                append(ready)
                keep(raw)
                continue
            try:
                if new_value is not None:
                    append(
                        SinkRecord(
                            topic,
                            raw.partition,
                            None,
                            keys[index],
                            final_schema,
                            new_value,
                            raw.timestamp,
                            self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
                            raw.offset,
                            raw.timestamp_type,
                        )
                    )
                    keep(raw)
                    continue
                value_schema, value = values[index]
                record = SinkRecord(
                    topic,
                    raw.partition,
                    None,
                    keys[index],
                    value_schema,
                    value,
                    raw.timestamp,
                    self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
                    raw.offset,
                    raw.timestamp_type,
                )
                if transform is not None:
                    record = transform(record)
            except Exception:
                try:
                    record = self._process_staged(raw)
                except ToleranceExceededError as error:
                    return dropped, index, error
            if record is None:
                dropped += 1
                continue
            append(record)
            keep(raw)
        return dropped, None, None

    def _process_each_into(
        self, raws: Sequence[RawRecord], records: list[SinkRecord], originals: list[RawRecord]
    ) -> tuple[int, int | None, ToleranceExceededError | None]:
        # `process` written out (one call less per record, as converters with schemas such as Avro's take this way)
        fast = self._process_fast if self._optimistic else None
        staged = self._process_staged
        dropped = 0
        for index, raw in enumerate(raws):
            try:
                if fast is None:
                    record = staged(raw)
                else:
                    try:
                        record = fast(raw)
                    except Exception:
                        record = staged(raw)
            except ToleranceExceededError as error:
                return dropped, index, error
            if record is None:
                dropped += 1
                continue
            records.append(record)
            originals.append(raw)
        return dropped, None, None

    def _process_schemaless_unchained(self, raw: RawRecord) -> SinkRecord:
        """_process_fast for converters whose schema is always None, without a transform chain."""
        key, value = raw.key, raw.value
        return SinkRecord(
            raw.topic,
            raw.partition,
            None,
            None if key is None else self._read_key(key),
            None,
            None if value is None else self._read_value(value),
            raw.timestamp,
            self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
            raw.offset,
            raw.timestamp_type,
        )

    def _process_fast(self, raw: RawRecord) -> SinkRecord | None:
        topic = raw.topic
        key_schema, key = self._key_to_connect(topic, raw.key)
        value_schema, value = self._value_to_connect(topic, raw.value)
        record = SinkRecord(
            topic,
            raw.partition,
            key_schema,
            key,
            value_schema,
            value,
            raw.timestamp,
            self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
            raw.offset,
            raw.timestamp_type,
        )
        return record if self._transform is None else self._transform(record)

    def _process_schemaless_key(self, raw: RawRecord) -> SinkRecord | None:
        """_process_fast with the key read by the key converter's schemaless reader (the value as usual): an
        Avro, Protobuf or JSON Schema value keyed by plain JSON or strings."""
        key = raw.key
        value_schema, value = self._value_to_connect(raw.topic, raw.value)
        record = SinkRecord(
            raw.topic,
            raw.partition,
            None,
            None if key is None else self._read_key(key),
            value_schema,
            value,
            raw.timestamp,
            self._convert_headers(raw) if raw.headers else EMPTY_HEADERS,
            raw.offset,
            raw.timestamp_type,
        )
        return record if self._transform is None else self._transform(record)

    def _process_staged(self, raw: RawRecord) -> SinkRecord | None:
        """Each stage through the RetryWithToleranceOperator: retries, tolerance and error reports."""
        operator = self.operator
        operator.consumer_record = raw
        topic = raw.topic
        # Kafka's order (WorkerSinkTask): key, value, then headers; the first to fail is the one reported.
        key = operator.execute(self._key_to_connect, Stage.KEY_CONVERTER, self._key_class, topic, raw.key)
        if key is None:
            return None
        value = operator.execute(self._value_to_connect, Stage.VALUE_CONVERTER, self._value_class, topic, raw.value)
        if value is None:
            return None
        headers = EMPTY_HEADERS
        if raw.headers:
            converted = operator.execute(self._convert_headers, Stage.HEADER_CONVERTER, self._header_class, raw)
            if converted is None:
                return None
            headers = converted
        record = _record(raw, key, value, headers)
        if self._apply_chain is None:
            return record
        return self._apply_chain(record, operator)

    def _convert_headers(self, raw: RawRecord) -> Headers:
        to_connect, topic = self._header_to_connect, raw.topic
        items = []
        for name, data in raw.headers:
            converted = to_connect(topic, name, data)
            items.append(Header(name, converted.value, converted.schema))
        return Headers(items)

    def report(self, raw: RawRecord, stage: Stage, klass: type, error: BaseException) -> list[Future[None]]:
        """Hand a record that failed outside `process` (put could not write it) to the error reporters.

        Raises ToleranceExceededError unless errors.tolerance=all; the DLQ acknowledgement is awaited by `flush`.
        """
        return self.operator.execute_failed(stage, klass, error, consumer_record=raw)

    def errant_record_reporter(
        self, task_class: type = SinkTask, lookup: RawLookup | None = None
    ) -> SinkErrantRecordReporter:
        """The reporter for `SinkTaskContext.errant_record_reporter()`.

        `lookup(topic, partition, offset)` finds the consumed bytes of a record of the current batch; when it
        is missing or finds nothing, the record is re-serialised with this pipeline's converters.
        """

        def resolve(record: SinkRecord) -> RawRecord:
            topic = record.original_topic or record.topic
            partition = record.original_kafka_partition
            offset = record.original_kafka_offset
            if lookup is not None and partition is not None and offset is not None:
                found = lookup(topic, partition, offset)
                if found is not None:
                    return found
            return self.reserialize(record)

        return SinkErrantRecordReporter(self.operator, resolve, task_class)

    def reserialize(self, record: SinkRecord) -> RawRecord:
        """A sink record back in Kafka form, as best the converters can (Kafka Connect does the same)."""
        topic = record.topic
        headers: RawHeaders = tuple(headers_bytes(self.header_converter.from_connect_header, topic, record.headers))
        partition = record.original_kafka_partition
        offset = record.original_kafka_offset
        return RawRecord(
            record.original_topic or topic,
            -1 if partition is None else partition,
            -1 if offset is None else offset,
            record.timestamp,
            record.timestamp_type,
            best_effort_bytes(self.key_converter.from_connect_data, topic, record.key_schema, record.key),
            best_effort_bytes(self.value_converter.from_connect_data, topic, record.value_schema, record.value),
            headers,
        )


def _record(raw: RawRecord, key: SchemaAndValue, value: SchemaAndValue, headers: Headers) -> SinkRecord:
    """The SinkRecord of a consumed record, its key, value and headers converted."""
    return SinkRecord(
        raw.topic,
        raw.partition,
        key.schema,
        key.value,
        value.schema,
        value.value,
        raw.timestamp,
        headers,
        raw.offset,
        raw.timestamp_type,
    )
