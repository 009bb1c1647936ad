"""AvroConverter's native fast path: a run of messages whose writer schema is a flat record, read in C.

connectless.native._avro (built by `make native` beside _records, see infra/native/build.py) reads Confluent-framed
messages of a flat record of null/boolean/int/long/float/double/string/bytes fields and ["null", primitive]
unions, without logical types, straight into Structs: one call per run, no fastavro dict in between. Everything
else (other schemas, and any message it does not read exactly) stays with fastavro, so values, errors and the
DLQ behaviour are fastavro's. connectless.native.avro is None where the module is not built or CONNECTLESS_NATIVE=0
(read when a converter first reads a schema).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless import native

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from connectless.data.schema import Schema

# A field's kind (a program byte's low nibble, as _avro.c numbers them) and where its union has null (high nibble).
KINDS = {"boolean": 1, "int": 2, "long": 3, "float": 4, "double": 5, "string": 6, "bytes": 7}
NULL_FIRST, NULL_SECOND = 0x10, 0x20


def _primitive(avro_type: Any) -> int | None:
    """The kind of a primitive type without a logical type ("string", {"type": "string", ...}), else None."""
    if isinstance(avro_type, dict):
        if "logicalType" in avro_type:  # fastavro converts the value: not ours to read
            return None
        avro_type = avro_type.get("type")
    return KINDS.get(avro_type) if isinstance(avro_type, str) else None


def program_of(writer: Any) -> bytes | None:
    """The fast path's program for writer schema `writer` (its JSON, as the registry gives it): a byte per field,
    or None when the schema is not a flat record it reads."""
    if not isinstance(writer, dict) or writer.get("type") != "record" or not isinstance(writer.get("fields"), list):
        return None
    program = bytearray()
    for field in writer["fields"]:
        avro_type = field.get("type") if isinstance(field, dict) else None
        if isinstance(avro_type, list):
            if len(avro_type) != 2 or avro_type.count("null") != 1:
                return None
            null_at = avro_type.index("null")
            kind = _primitive(avro_type[1 - null_at])
            flag = NULL_FIRST if null_at == 0 else NULL_SECOND
        else:
            kind, flag = _primitive(avro_type), 0
        if kind is None:
            return None
        program.append(kind | flag)
    return bytes(program)


def _native_program(writer: Any, schema: Schema) -> tuple[Any, bytes] | None:
    """The C module and the program for `schema`'s Structs from writer schema `writer`, or None: not built, or not a
    flat record the fast path reads."""
    module = native.avro
    program = program_of(writer)
    if module is None or program is None or len(program) != len(schema.fields):
        return None
    return module, program


def run_decoder(
    writer: Any, schema: Schema, fallback: Callable[[bytes], Any], pair_type: type[tuple[Any, ...]] | None = None
) -> Callable[[Sequence[bytes]], list[Any]] | None:
    """decode_run for the Structs of `schema` from messages of writer schema `writer`, with `fallback` (the fastavro
    path of one whole message) for the messages it does not read exactly; each as pair_type(schema, value) when
    given (a SchemaAndValue). None when the fast path does not apply."""
    found = _native_program(writer, schema)
    if found is None:
        return None
    module, program = found
    decode = module.decode_run

    def decode_run(datas: Sequence[bytes]) -> list[Any]:
        return decode(datas, program, schema, fallback, pair_type)

    return decode_run


def one_decoder(writer: Any, schema: Schema) -> Callable[[memoryview], Any] | None:
    """The Struct of one message's payload (after its header) of writer schema `writer`, or None where fastavro must
    read it (a payload the C reader does not read exactly); None when the fast path does not apply."""
    found = _native_program(writer, schema)
    if found is None:
        return None
    module, program = found
    decode = module.decode_one

    def decode_payload(payload: memoryview) -> Any:
        return decode(payload, program, schema)

    return decode_payload
