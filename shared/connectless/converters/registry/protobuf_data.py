"""Connect schemas and values <-> Protobuf messages, mapped as Confluent's ProtobufData maps them by default.

Protobuf -> Connect: a message is a struct named by the message's simple name (its full name with
`enhanced.protobuf.schema.support`); each field is optional and carries `io.confluent.connect.protobuf.Tag` (its
number); int32 is int32, sint32/sfixed32 int32 with `io.confluent.connect.protobuf.Type`, uint32/fixed32 and the
64-bit kinds int64 (with the Type parameter unless int64), float/double float32/float64; an enum is a string named
by the enum with `io.confluent.connect.protobuf.Enum` parameters (symbol -> number); repeated is an array of
optional elements, a map field a map named after the field; google.protobuf.Timestamp is Timestamp, google.type.Date
Date, google.type.TimeOfDay Time; a oneof is an optional struct `io.confluent.connect.protobuf.Union.<name>` in a
field `<name>_<index>` (or `<name>`), placed before the other fields. Enhanced support names messages, enums, oneofs
and maps by their full names. Proto3 scalars read as their value (0, "" when unset); an unset message field is null.
confluent.type.Decimal is Decimal, its Connect scale (and `connect.decimal.precision`) from the field's
`confluent.field_meta` params `scale` and `precision` (scale 0 without them), its value the message's own unscaled
bytes and scale. An int32 field whose meta says `connect.type` int8 or int16 reads as that type. Times and
timestamps keep milliseconds, as Connect's Time and Timestamp do.

Connect -> Protobuf builds a proto3 FileDescriptorProto: a struct is a message (nested structs nested messages),
int8/int16/int32 int32 (int8/int16 marked with the `connect.type` meta param), int64 int64, Decimal
confluent.type.Decimal (with `precision`/`scale` meta params), Date google.type.Date, Time google.type.TimeOfDay,
Timestamp google.protobuf.Timestamp (these imported as built-in files, with no registry reference), arrays
repeated, string-keyed or integer-keyed maps map fields, a Union struct a oneof (named by the union's name).
Field numbers follow `io.confluent.connect.protobuf.Tag` when present, else the field order (1, 2, ...).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import TYPE_CHECKING, Any

from connectless.data.errors import DataError
from connectless.data.logical import (
    DATE_NAME,
    DECIMAL_NAME,
    SCALE_FIELD,
    TIME_NAME,
    TIMESTAMP_NAME,
    date_builder,
    date_to_days,
    decimal_builder,
    time_builder,
    time_from_millis,
    time_to_millis,
    timestamp_builder,
    timestamp_from_millis,
    timestamp_to_millis,
    unscaled_to_bytes,
)
from connectless.data.schema import SchemaBuilder, Type
from connectless.data.struct import Struct

if TYPE_CHECKING:
    from collections.abc import Callable

    from google.protobuf.descriptor import Descriptor, FieldDescriptor

    from connectless.data.schema import Schema

NAMESPACE = "io.confluent.connect.protobuf"
PROTOBUF_TYPE_ENUM = f"{NAMESPACE}.Enum"
PROTOBUF_TYPE_UNION_PREFIX = f"{NAMESPACE}.Union."
PROTOBUF_TYPE_TAG = f"{NAMESPACE}.Tag"
PROTOBUF_TYPE_PROP = f"{NAMESPACE}.Type"
TIMESTAMP_TYPE = "google.protobuf.Timestamp"
DATE_TYPE = "google.type.Date"
TIME_TYPE = "google.type.TimeOfDay"
DECIMAL_TYPE = "confluent.type.Decimal"
CONNECT_PRECISION_PROP = "connect.decimal.precision"
CONNECT_TYPE_PROP = "connect.type"
META_PRECISION = "precision"
META_SCALE = "scale"
META_FILE = "confluent/meta.proto"
# Connect logical type -> (Protobuf message, the built-in file that declares it)
_LOGICAL_MESSAGES = {
    DECIMAL_NAME: (DECIMAL_TYPE, "confluent/type/decimal.proto"),
    DATE_NAME: (DATE_TYPE, "google/type/date.proto"),
    TIME_NAME: (TIME_TYPE, "google/type/timeofday.proto"),
    TIMESTAMP_NAME: (TIMESTAMP_TYPE, "google/protobuf/timestamp.proto"),
}


def _fd() -> Any:
    from google.protobuf.descriptor import FieldDescriptor

    return FieldDescriptor


# ---------------------------------------------------------------------------- Protobuf -> Connect


class ToConnect:
    """Connect schemas and readers of the messages of one descriptor pool."""

    def __init__(self, *, enhanced: bool = False, index_unions: bool = True) -> None:
        self.enhanced = enhanced
        self.index_unions = index_unions
        self._in_progress: set[str] = set()

    def _name(self, descriptor: Any) -> str:
        """A message's, enum's or oneof's Connect name: its full name (with the package and enclosing messages)
        with `enhanced.protobuf.schema.support`, else its simple name."""
        return str(descriptor.full_name if self.enhanced else descriptor.name)

    def message(self, descriptor: Descriptor, version: int | None = None) -> tuple[Schema, Callable[[Any], Any]]:
        full = descriptor.full_name
        if full in self._in_progress:
            raise DataError(f"Recursive Protobuf messages cannot become Connect schemas: {full} refers to itself")
        self._in_progress.add(full)
        try:
            builder = SchemaBuilder.struct().name(self._name(descriptor))
            plan: list[tuple[str, Callable[[Any], Any]]] = []
            for oneof in descriptor.oneofs:
                if _is_synthetic(oneof):
                    continue
                union = SchemaBuilder.struct().name(PROTOBUF_TYPE_UNION_PREFIX + self._name(oneof)).optional()
                members = []
                for field in oneof.fields:
                    schema, read = self.field(field)
                    union.field(field.name, schema)
                    members.append((field.name, read))
                union_schema = union.build()
                # generate.index.for.unions (default true): the field is named `<oneof>_<its index>`
                field_name = f"{oneof.name}_{oneof.index}" if self.index_unions else oneof.name
                builder.field(field_name, union_schema)
                plan.append((field_name, _oneof_reader(union_schema, oneof.name, members)))
            for field in descriptor.fields:
                if field.containing_oneof is not None and not _is_synthetic(field.containing_oneof):
                    continue
                schema, read = self.field(field)
                builder.field(field.name, schema)
                plan.append((field.name, _field_reader(field, read)))
            if version is not None:
                builder.version(version)
            struct_schema = builder.build()
        finally:
            self._in_progress.discard(full)

        def read_message(message: Any) -> Struct:
            return Struct.of_values(struct_schema, [read(message) for _, read in plan])

        return struct_schema, read_message

    def field(self, field: FieldDescriptor) -> tuple[Schema, Callable[[Any], Any]]:
        """The Connect schema of one field, and the reader of one of its (non-repeated) values."""
        if _is_map(field):
            entry = field.message_type
            key, read_key = self.field(entry.fields_by_name["key"])
            value, read_value = self.field(entry.fields_by_name["value"])
            # named after the field, as protoc names its entry: `<field>` (`<package>.<message>.<field>` enhanced)
            map_schema = SchemaBuilder.map(key, value).name(_map_field_name(self._name(entry))).optional()
            map_schema.parameter(PROTOBUF_TYPE_TAG, str(field.number))
            return map_schema.build(), lambda m: {read_key(k): read_value(v) for k, v in m.items()}
        builder, read = self._scalar_or_message(field)
        if field.is_repeated:
            element = builder.optional().build()
            builder = SchemaBuilder.array(element)

            def read_repeated(values: Any, item: Callable[[Any], Any] = read) -> list[Any]:
                return [item(v) for v in values]

            read = read_repeated
        builder.optional()
        builder.parameter(PROTOBUF_TYPE_TAG, str(field.number))
        return builder.build(), read

    def _scalar_or_message(self, field: FieldDescriptor) -> tuple[SchemaBuilder, Callable[[Any], Any]]:
        kind = _fd()
        t = field.type
        if t in (kind.TYPE_INT32, kind.TYPE_SINT32, kind.TYPE_SFIXED32):
            narrow = _field_meta(field).get(CONNECT_TYPE_PROP)
            if narrow in ("int8", "int16"):
                return (SchemaBuilder.int8() if narrow == "int8" else SchemaBuilder.int16()), _same
            builder = SchemaBuilder.int32()
            if t != kind.TYPE_INT32:
                builder.parameter(PROTOBUF_TYPE_PROP, _type_name(t))
            return builder, _same
        if t in (kind.TYPE_UINT32, kind.TYPE_FIXED32, kind.TYPE_INT64, kind.TYPE_UINT64, kind.TYPE_SINT64,
                 kind.TYPE_FIXED64, kind.TYPE_SFIXED64):  # fmt: skip
            builder = SchemaBuilder.int64()
            if t != kind.TYPE_INT64:
                builder.parameter(PROTOBUF_TYPE_PROP, _type_name(t))
            return builder, _same
        simple = {
            kind.TYPE_FLOAT: SchemaBuilder.float32,
            kind.TYPE_DOUBLE: SchemaBuilder.float64,
            kind.TYPE_BOOL: SchemaBuilder.boolean,
            kind.TYPE_STRING: SchemaBuilder.string,
            kind.TYPE_BYTES: SchemaBuilder.bytes,
        }
        if t in simple:
            return simple[t](), _same
        if t == kind.TYPE_ENUM:
            enum = field.enum_type
            builder = SchemaBuilder.string().name(self._name(enum))
            builder.parameter(PROTOBUF_TYPE_ENUM, enum.name)
            for value in enum.values:
                builder.parameter(f"{PROTOBUF_TYPE_ENUM}.{value.name}", str(value.number))
            names = {value.number: value.name for value in enum.values}
            return builder, lambda number: names.get(number, str(number))
        message = field.message_type
        if message.full_name == TIMESTAMP_TYPE:
            return timestamp_builder(), _read_timestamp
        if message.full_name == DATE_TYPE:
            return date_builder(), _read_date
        if message.full_name == TIME_TYPE:
            return time_builder(), _read_time
        if message.full_name == DECIMAL_TYPE:
            return _decimal_builder(_field_meta(field)), _read_decimal
        schema, read = self.message(message)
        return SchemaBuilder.from_schema(schema), read


def _map_field_name(entry_name: str) -> str:
    """The map field of a protoc map entry name: `CountsEntry` -> `counts`, `a.B.OrderLinesEntry` ->
    `a.B.order_lines` (the last part's UpperCamel without `Entry` in lower_underscore)."""
    scope, dot, last = entry_name.rpartition(".")
    if last.endswith("Entry"):
        last = re.sub(r"(?<!^)(?=[A-Z])", "_", last[: -len("Entry")]).lower()
    return f"{scope}{dot}{last}"


def _is_synthetic(oneof: Any) -> bool:
    """A proto3 `optional` field's own oneof: not a real union."""
    fields = list(oneof.fields)
    return len(fields) == 1 and oneof.name == f"_{fields[0].name}"


def _is_map(field: FieldDescriptor) -> bool:
    message = field.message_type
    return field.is_repeated and message is not None and message.GetOptions().map_entry


def _type_name(t: int) -> str:
    kind = _fd()
    names = {getattr(kind, n): n[5:].lower() for n in dir(kind) if n.startswith("TYPE_")}
    return names[t]


def _same(value: Any) -> Any:
    return value


def _field_meta(field: FieldDescriptor) -> dict[str, str]:
    """The params of a field's `confluent.field_meta` option (Confluent's place for Connect parameters)."""
    options = field.GetOptions()
    if not options.ListFields():
        return {}
    from confluent_kafka.schema_registry.confluent import meta_pb2

    field_meta = meta_pb2.field_meta  # type: ignore[attr-defined]  # generated without stubs
    if not options.HasExtension(field_meta):
        return {}
    return dict(options.Extensions[field_meta].params)


def _int_param(params: dict[str, str], name: str) -> int | None:
    try:
        return int(params[name])
    except (KeyError, ValueError):  # Confluent ignores a param that is not a number
        return None


def _decimal_builder(params: dict[str, str]) -> SchemaBuilder:
    builder = decimal_builder(_int_param(params, META_SCALE) or 0)
    precision = _int_param(params, META_PRECISION)
    if precision is not None:
        builder.parameter(CONNECT_PRECISION_PROP, str(precision))
    return builder


def _read_decimal(message: Any) -> decimal.Decimal:
    """A confluent.type.Decimal as the message states it: its unscaled value, its scale, rounded to its precision."""
    unscaled = int.from_bytes(message.value, "big", signed=True)
    value = decimal.Decimal((int(unscaled < 0), tuple(int(d) for d in str(abs(unscaled))), -message.scale))
    if message.precision and len(value.as_tuple().digits) > message.precision:
        value = decimal.Context(prec=message.precision, rounding=decimal.ROUND_HALF_UP).plus(value)
    return value


def _read_date(message: Any) -> dt.date:
    try:
        return dt.date(message.year, message.month, message.day)
    except ValueError as exc:
        raise DataError(f"Invalid google.type.Date {message.year}-{message.month}-{message.day}: {exc}") from None


def _read_time(message: Any) -> dt.time:
    if not (0 <= message.hours < 24 and 0 <= message.minutes < 60 and 0 <= message.seconds < 60
            and 0 <= message.nanos < 1_000_000_000):  # fmt: skip
        raise DataError(
            f"Invalid google.type.TimeOfDay {message.hours}:{message.minutes}:{message.seconds}.{message.nanos}"
        )
    millis = ((message.hours * 60 + message.minutes) * 60 + message.seconds) * 1000 + message.nanos // 1_000_000
    return time_from_millis(millis)


def _read_timestamp(message: Any) -> dt.datetime:
    return timestamp_from_millis(message.seconds * 1000 + message.nanos // 1_000_000)


def _field_reader(field: FieldDescriptor, read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    name = field.name
    kind = _fd()
    if field.type == kind.TYPE_MESSAGE and not field.is_repeated:
        return lambda message: read(getattr(message, name)) if message.HasField(name) else None
    if field.has_presence:  # proto3 `optional` or proto2: unset reads as null
        return lambda message: read(getattr(message, name)) if message.HasField(name) else None
    return lambda message: read(getattr(message, name))


def _oneof_reader(schema: Schema, oneof: str, members: list[tuple[str, Callable[[Any], Any]]]) -> Callable[[Any], Any]:
    readers = dict(members)

    def read(message: Any) -> Struct | None:
        which = message.WhichOneof(oneof)
        if which is None:
            return None
        return Struct(schema).put(which, readers[which](getattr(message, which)))

    return read


# ---------------------------------------------------------------------------- Connect -> Protobuf


def file_descriptor(schema: Schema) -> Any:
    """A proto3 FileDescriptorProto whose first message is `schema` (a struct)."""
    from google.protobuf import descriptor_pb2

    if schema.type is not Type.STRUCT:
        raise DataError("ProtobufConverter writes structs only: a Protobuf schema is a message")
    package, _, name = (schema.name or "ConnectDefault").rpartition(".")
    proto = descriptor_pb2.FileDescriptorProto(name=f"{name}.proto", syntax="proto3")
    if package:
        proto.package = package
    _message(proto.message_type.add(), name, schema, proto)
    return proto


def _message(message: Any, name: str, schema: Schema, file: Any) -> None:
    from google.protobuf import descriptor_pb2

    message.name = name
    used = {tag for f in schema.fields if (tag := _tag(f.schema)) is not None}
    next_number = 1
    for field in schema.fields:
        number = _tag(field.schema)
        if number is None:
            while next_number in used:
                next_number += 1
            number = next_number
            used.add(number)
        fs = field.schema
        if fs.type is Type.STRUCT and (fs.name or "").startswith(PROTOBUF_TYPE_UNION_PREFIX):
            oneof_index = len(message.oneof_decl)
            # the oneof is named by the union schema (its last part), not by the field (`pay_0`)
            message.oneof_decl.add(name=(fs.name or "").rpartition(".")[2])
            for member in fs.fields:
                proto_field = message.field.add(name=member.name, number=_tag(member.schema) or next_number)
                next_number = max(next_number, proto_field.number) + 1
                proto_field.oneof_index = oneof_index
                _field_type(proto_field, member.schema, message, file, descriptor_pb2)
            continue
        proto_field = message.field.add(name=field.name, number=number)
        _field_type(proto_field, fs, message, file, descriptor_pb2)


def _tag(schema: Schema) -> int | None:
    value = (schema.parameters or {}).get(PROTOBUF_TYPE_TAG)
    return int(value) if value is not None else None


_SCALARS = {
    Type.INT8: "TYPE_INT32",
    Type.INT16: "TYPE_INT32",
    Type.INT32: "TYPE_INT32",
    Type.INT64: "TYPE_INT64",
    Type.FLOAT32: "TYPE_FLOAT",
    Type.FLOAT64: "TYPE_DOUBLE",
    Type.BOOLEAN: "TYPE_BOOL",
    Type.STRING: "TYPE_STRING",
    Type.BYTES: "TYPE_BYTES",
}


def _field_type(field: Any, schema: Schema, parent: Any, file: Any, pb2: Any) -> None:
    proto = pb2.FieldDescriptorProto
    field.label = proto.LABEL_OPTIONAL
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        _field_type(field, schema.value_schema, parent, file, pb2)
        field.label = proto.LABEL_REPEATED
        return
    logical = _LOGICAL_MESSAGES.get(schema.name or "")
    if logical is not None:
        message_type, location = logical
        _import(file, location)
        field.type, field.type_name = proto.TYPE_MESSAGE, f".{message_type}"
        if schema.name == DECIMAL_NAME:
            params = schema.parameters or {}
            meta = {META_PRECISION: params.get(CONNECT_PRECISION_PROP), META_SCALE: params.get(SCALE_FIELD)}
            _set_field_meta(field, file, {k: v for k, v in meta.items() if v is not None})
        return
    if schema.type in (Type.INT8, Type.INT16):
        _set_field_meta(field, file, {CONNECT_TYPE_PROP: schema.type.value})
    if schema.type is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        entry_name = "".join(p[:1].upper() + p[1:] for p in field.name.split("_")) + "Entry"
        entry = parent.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        key = entry.field.add(name="key", number=1)
        _field_type(key, schema.key_schema, entry, file, pb2)
        value = entry.field.add(name="value", number=2)
        _field_type(value, schema.value_schema, entry, file, pb2)
        field.type, field.label = proto.TYPE_MESSAGE, proto.LABEL_REPEATED
        field.type_name = entry_name  # relative to the parent message
        return
    if schema.type is Type.STRUCT:
        nested_name = (schema.name or field.name).rpartition(".")[2]
        if not any(n.name == nested_name for n in parent.nested_type):
            _message(parent.nested_type.add(), nested_name, schema, file)
        field.type, field.type_name = proto.TYPE_MESSAGE, nested_name
        return
    if schema.type is Type.STRING and PROTOBUF_TYPE_ENUM in (schema.parameters or {}):
        params = dict(schema.parameters or {})
        enum_name = params[PROTOBUF_TYPE_ENUM]
        if not any(e.name == enum_name for e in parent.enum_type):
            enum = parent.enum_type.add(name=enum_name)
            prefix = PROTOBUF_TYPE_ENUM + "."
            for key, number in params.items():
                if key.startswith(prefix):
                    enum.value.add(name=key[len(prefix) :], number=int(number))
        field.type, field.type_name = proto.TYPE_ENUM, enum_name
        return
    field.type = getattr(proto, _SCALARS[schema.type])


def _import(file: Any, location: str) -> None:
    if location not in file.dependency:
        file.dependency.append(location)


def _set_field_meta(field: Any, file: Any, params: dict[str, str]) -> None:
    if not params:
        return
    from confluent_kafka.schema_registry.confluent import meta_pb2

    _import(file, META_FILE)
    field.options.Extensions[meta_pb2.field_meta].params.update(params)  # type: ignore[attr-defined]


def writer(schema: Schema, message_class: Any) -> Callable[[Any], Any]:
    """Connect value of `schema` -> an instance of `message_class`."""
    descriptor = message_class.DESCRIPTOR

    def write(value: Any) -> Any:
        if not isinstance(value, Struct):
            raise DataError(
                f"Expected a Struct for Protobuf message {descriptor.full_name}, got {type(value).__name__}"
            )
        message = message_class()
        _fill(message, value)
        return message

    return write


def _fill(message: Any, struct: Struct) -> None:
    descriptor = message.DESCRIPTOR
    for field in struct.schema.fields:
        value = struct.get(field.name)
        if value is None:
            continue
        fs = field.schema
        if fs.type is Type.STRUCT and (fs.name or "").startswith(PROTOBUF_TYPE_UNION_PREFIX):
            for member in fs.fields:
                inner = value.get(member.name)
                if inner is not None:
                    _set(message, descriptor.fields_by_name[member.name], member.schema, inner)
            continue
        _set(message, descriptor.fields_by_name[field.name], fs, value)


def _set(message: Any, field: Any, schema: Schema, value: Any) -> None:
    name = field.name
    if schema.type is Type.ARRAY:
        assert schema.value_schema is not None
        target = getattr(message, name)
        for item in value:
            if field.message_type is not None:
                _fill_message(target.add(), schema.value_schema, item)
            else:
                target.append(_scalar(schema.value_schema, field, item))
        return
    if schema.type is Type.MAP:
        assert schema.value_schema is not None
        target = getattr(message, name)
        value_field = field.message_type.fields_by_name["value"]
        for k, v in value.items():
            if value_field.message_type is not None:
                _fill_message(target[k], schema.value_schema, v)
            else:
                target[k] = _scalar(schema.value_schema, value_field, v)
        return
    if field.message_type is not None:
        _fill_message(getattr(message, name), schema, value)
        return
    setattr(message, name, _scalar(schema, field, value))


def _fill_message(target: Any, schema: Schema, value: Any) -> None:
    name = schema.name
    if name == TIMESTAMP_NAME:
        seconds, millis = divmod(timestamp_to_millis(value), 1000)  # Connect's Timestamp keeps milliseconds
        target.seconds, target.nanos = seconds, millis * 1_000_000
    elif name == DATE_NAME:
        _require(value, dt.date, "Date")
        date_to_days(value)  # refuses a datetime with a time of day, as Connect's Date does
        day = value.astimezone(dt.UTC).date() if isinstance(value, dt.datetime) and value.tzinfo else value
        target.year, target.month, target.day = day.year, day.month, day.day
    elif name == TIME_NAME:
        _require(value, dt.time, "Time")
        seconds, millis = divmod(time_to_millis(value), 1000)
        target.hours, target.minutes, target.seconds = seconds // 3600, seconds // 60 % 60, seconds % 60
        target.nanos = millis * 1_000_000
    elif name == DECIMAL_NAME:
        _require(value, decimal.Decimal, "Decimal")
        sign, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            raise DataError(f"Decimal value {value} is not finite")
        unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        target.value = unscaled_to_bytes(unscaled)
        target.precision = len(str(abs(unscaled)))  # BigDecimal.precision(): digits of the unscaled value
        target.scale = -exponent
    else:
        _fill(target, value)


def _require(value: Any, kind: type, logical: str) -> None:
    if not isinstance(value, kind):
        raise DataError(f"Invalid type for {logical}, expected {kind.__name__} but was {type(value).__name__}")


def _scalar(schema: Schema, field: Any, value: Any) -> Any:
    if field.enum_type is not None and isinstance(value, str):
        found = field.enum_type.values_by_name.get(value)
        if found is None:
            raise DataError(f"{value!r} is not a symbol of enum {field.enum_type.full_name}")
        return found.number
    return value
