"""Connect schemas and values <-> Protobuf messages, mapped as Confluent's ProtobufData maps them by default.

Protobuf -> Connect: a message is a struct named by the message's simple name (its full name with
`enhanced.protobuf.schema.support`); each field is optional and carries `io.confluent.connect.protobuf.Tag` (its
number); int32 is int32, sint32/sfixed32 int32 with `io.confluent.connect.protobuf.Type`, uint32/fixed32 and the
64-bit kinds int64 (with the Type parameter unless int64), float/double float32/float64; an enum is a string named
by the enum with `io.confluent.connect.protobuf.Enum` parameters (symbol -> number); repeated is an array of
optional elements, a map field a map; google.protobuf.Timestamp is Timestamp, google.type.Date Date,
google.type.TimeOfDay Time; a oneof is an optional struct `io.confluent.connect.protobuf.Union.<name>` placed
before the other fields. Proto3 scalars read as their value (0, "" when unset); an unset message field is null.

Connect -> Protobuf builds a proto3 FileDescriptorProto: a struct is a message (nested structs nested messages),
int8/int16/int32 int32 (int8/int16 lose their width, as without Confluent's meta options), int64 int64, Timestamp
google.protobuf.Timestamp, Date google.type.Date is not built in here (refused), arrays repeated, string-keyed or
integer-keyed maps map fields, a Union struct a oneof. Field numbers follow `io.confluent.connect.protobuf.Tag`
when present, else the field order (1, 2, ...).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from connectless.data.errors import DataError
from connectless.data.logical import (
    DATE_NAME,
    EPOCH,
    TIME_NAME,
    TIMESTAMP_NAME,
    date_builder,
    time_builder,
    timestamp_builder,
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
_TIMESTAMP_FILE = "google/protobuf/timestamp.proto"


def _fd() -> Any:
    from google.protobuf.descriptor import FieldDescriptor

    return FieldDescriptor


# ---------------------------------------------------------------------------- Protobuf -> Connect


class ToConnect:
    """Connect schemas and readers of the messages of one descriptor pool."""

    def __init__(self, *, enhanced: bool = False) -> None:
        self.enhanced = enhanced
        self._in_progress: set[str] = set()

    def message(self, descriptor: Descriptor, version: int | None = None) -> tuple[Schema, Callable[[Any], Any]]:
        full = descriptor.full_name
        if full in self._in_progress:
            raise DataError(f"Recursive Protobuf messages cannot become Connect schemas: {full} refers to itself")
        self._in_progress.add(full)
        try:
            builder = SchemaBuilder.struct().name(full if self.enhanced else descriptor.name)
            plan: list[tuple[str, Callable[[Any], Any]]] = []
            for oneof in descriptor.oneofs:
                if _is_synthetic(oneof):
                    continue
                union = SchemaBuilder.struct().name(PROTOBUF_TYPE_UNION_PREFIX + oneof.name).optional()
                members = []
                for field in oneof.fields:
                    schema, read = self.field(field)
                    union.field(field.name, schema)
                    members.append((field.name, read))
                union_schema = union.build()
                builder.field(oneof.name, union_schema)
                plan.append((oneof.name, _oneof_reader(union_schema, oneof.name, members)))
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
            map_schema = SchemaBuilder.map(key, value).optional()
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
            builder = SchemaBuilder.string().name(enum.full_name if self.enhanced else enum.name)
            builder.parameter(PROTOBUF_TYPE_ENUM, enum.name)
            for value in enum.values:
                builder.parameter(f"{PROTOBUF_TYPE_ENUM}.{value.name}", str(value.number))
            names = {value.number: value.name for value in enum.values}
            return builder, lambda number: names.get(number, str(number))
        message = field.message_type
        if message.full_name == TIMESTAMP_TYPE:
            return timestamp_builder(), _read_timestamp
        if message.full_name == DATE_TYPE:
            return date_builder(), lambda m: dt.date(m.year, m.month, m.day)
        if message.full_name == TIME_TYPE:
            return time_builder(), lambda m: dt.time(m.hours, m.minutes, m.seconds, m.nanos // 1000)
        schema, read = self.message(message)
        return SchemaBuilder.from_schema(schema), read


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


def _read_timestamp(message: Any) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=message.seconds, microseconds=message.nanos // 1000)


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
            message.oneof_decl.add(name=field.name)
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
    if schema.name == TIMESTAMP_NAME:
        if _TIMESTAMP_FILE not in file.dependency:
            file.dependency.append(_TIMESTAMP_FILE)
        field.type, field.type_name = proto.TYPE_MESSAGE, f".{TIMESTAMP_TYPE}"
        return
    if schema.name in (DATE_NAME, TIME_NAME) or (schema.name or "").endswith("Decimal"):
        raise DataError(f"ProtobufConverter cannot write {schema.name} yet (google.type / confluent.type protos)")
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
    if schema.name == TIMESTAMP_NAME:
        delta = value - EPOCH
        target.seconds = delta.days * 86_400 + delta.seconds
        target.nanos = delta.microseconds * 1000
        return
    _fill(target, value)


def _scalar(schema: Schema, field: Any, value: Any) -> Any:
    if field.enum_type is not None and isinstance(value, str):
        found = field.enum_type.values_by_name.get(value)
        if found is None:
            raise DataError(f"{value!r} is not a symbol of enum {field.enum_type.full_name}")
        return found.number
    return value
