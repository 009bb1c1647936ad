"""Connect schemas: the type system every record, converter and transform shares.

A `Schema` is immutable. Build one with `SchemaBuilder` (mirrors Kafka Connect's builder) or use the
predefined constants such as `STRING_SCHEMA` and `OPTIONAL_INT64_SCHEMA`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectless.data.errors import DataError, SchemaBuilderError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


class Type(enum.Enum):
    """Schema types; the value is the name used in Kafka Connect's JSON envelope."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float"
    FLOAT64 = "double"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        return self not in (Type.ARRAY, Type.MAP, Type.STRUCT)

    @classmethod
    def from_name(cls, name: str) -> Type:
        try:
            return _TYPES_BY_NAME[name.lower()]
        except KeyError:
            raise DataError(f"Unknown schema type: {name!r}") from None


_TYPES_BY_NAME = {t.value: t for t in Type} | {t.name.lower(): t for t in Type}


@dataclass(frozen=True, slots=True)
class Field:
    """A named, positioned field of a struct schema."""

    name: str
    index: int
    schema: Schema


@dataclass(frozen=True, slots=True, eq=False)
class Schema:
    """An immutable Connect schema. Compare with `==`; the hash covers the identity fields only."""

    type: Type
    optional: bool = False
    default: Any = None
    name: str | None = None
    version: int | None = None
    doc: str | None = None
    parameters: Mapping[str, str] | None = None
    fields: tuple[Field, ...] = ()
    key_schema: Schema | None = None
    value_schema: Schema | None = None
    _field_index: dict[str, Field] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.fields and not self._field_index:
            self._field_index.update({f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        """The field called `name`, or None. Raises DataError when this is not a struct schema."""
        if self.type is not Type.STRUCT:
            raise DataError(f"Cannot look up fields on non-struct type {self.type.value}")
        return self._field_index.get(name)

    def _key(self) -> tuple[Any, ...]:
        params = tuple(sorted(self.parameters.items())) if self.parameters else None
        return (
            self.type,
            self.optional,
            _hashable(self.default),
            self.name,
            self.version,
            self.doc,
            params,
            tuple((f.name, f.index, f.schema) for f in self.fields),
            self.key_schema,
            self.value_schema,
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Schema):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.type, self.optional, self.name, self.version, len(self.fields)))

    def __repr__(self) -> str:
        opt = "?" if self.optional else ""
        label = f"{self.name}:" if self.name else ""
        if self.type is Type.STRUCT:
            inner = ", ".join(f"{f.name}: {f.schema!r}" for f in self.fields)
            return f"Schema({label}struct{opt}{{{inner}}})"
        if self.type is Type.ARRAY:
            return f"Schema({label}array{opt}<{self.value_schema!r}>)"
        if self.type is Type.MAP:
            return f"Schema({label}map{opt}<{self.key_schema!r}, {self.value_schema!r}>)"
        return f"Schema({label}{self.type.value}{opt})"


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


class SchemaBuilder:
    """Fluent builder, as in Kafka Connect: `SchemaBuilder.struct().name("x").field("a", INT32_SCHEMA).build()`."""

    __slots__ = (
        "_default",
        "_doc",
        "_fields",
        "_key_schema",
        "_name",
        "_optional",
        "_parameters",
        "_type",
        "_value_schema",
        "_version",
    )

    def __init__(self, schema_type: Type) -> None:
        self._type = schema_type
        self._optional = False
        self._default: Any = None
        self._name: str | None = None
        self._version: int | None = None
        self._doc: str | None = None
        self._parameters: dict[str, str] | None = None
        self._fields: dict[str, Schema] = {}
        self._key_schema: Schema | None = None
        self._value_schema: Schema | None = None

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def of(cls, schema_type: Type) -> SchemaBuilder:
        return cls(schema_type)

    @classmethod
    def int8(cls) -> SchemaBuilder:
        return cls(Type.INT8)

    @classmethod
    def int16(cls) -> SchemaBuilder:
        return cls(Type.INT16)

    @classmethod
    def int32(cls) -> SchemaBuilder:
        return cls(Type.INT32)

    @classmethod
    def int64(cls) -> SchemaBuilder:
        return cls(Type.INT64)

    @classmethod
    def float32(cls) -> SchemaBuilder:
        return cls(Type.FLOAT32)

    @classmethod
    def float64(cls) -> SchemaBuilder:
        return cls(Type.FLOAT64)

    @classmethod
    def boolean(cls) -> SchemaBuilder:
        return cls(Type.BOOLEAN)

    @classmethod
    def string(cls) -> SchemaBuilder:
        return cls(Type.STRING)

    @classmethod
    def bytes(cls) -> SchemaBuilder:
        return cls(Type.BYTES)

    @classmethod
    def struct(cls) -> SchemaBuilder:
        return cls(Type.STRUCT)

    @classmethod
    def array(cls, value_schema: Schema) -> SchemaBuilder:
        builder = cls(Type.ARRAY)
        builder._value_schema = value_schema
        return builder

    @classmethod
    def map(cls, key_schema: Schema, value_schema: Schema) -> SchemaBuilder:
        builder = cls(Type.MAP)
        builder._key_schema = key_schema
        builder._value_schema = value_schema
        return builder

    @classmethod
    def from_schema(cls, schema: Schema, *, with_fields: bool = True) -> SchemaBuilder:
        """A builder pre-filled with `schema`'s metadata (and fields unless `with_fields` is false)."""
        builder = cls(schema.type)
        builder._optional = schema.optional
        builder._default = schema.default
        builder._name = schema.name
        builder._version = schema.version
        builder._doc = schema.doc
        builder._parameters = dict(schema.parameters) if schema.parameters else None
        builder._key_schema = schema.key_schema
        builder._value_schema = schema.value_schema
        if with_fields:
            builder._fields = {f.name: f.schema for f in schema.fields}
        return builder

    # -- properties ---------------------------------------------------------------------------
    @property
    def type(self) -> Type:
        return self._type

    def optional(self) -> SchemaBuilder:
        self._optional = True
        return self

    def required(self) -> SchemaBuilder:
        self._optional = False
        return self

    def default_value(self, value: Any) -> SchemaBuilder:
        self._default = value
        return self

    def name(self, name: str | None) -> SchemaBuilder:
        self._name = name
        return self

    def version(self, version: int | None) -> SchemaBuilder:
        self._version = version
        return self

    def doc(self, doc: str | None) -> SchemaBuilder:
        self._doc = doc
        return self

    def parameter(self, key: str, value: str) -> SchemaBuilder:
        if self._parameters is None:
            self._parameters = {}
        self._parameters[key] = value
        return self

    def parameters(self, params: Mapping[str, str]) -> SchemaBuilder:
        for key, value in params.items():
            self.parameter(key, value)
        return self

    def field(self, name: str, schema: Schema) -> SchemaBuilder:
        if self._type is not Type.STRUCT:
            raise SchemaBuilderError("Cannot create fields on type " + self._type.value)
        if not name:
            raise SchemaBuilderError("fieldName cannot be null or empty")
        if name in self._fields:
            raise SchemaBuilderError(f"Cannot create field because of field name duplication {name}")
        self._fields[name] = schema
        return self

    def build(self) -> Schema:
        fields = tuple(Field(n, i, s) for i, (n, s) in enumerate(self._fields.items()))
        schema = Schema(
            type=self._type,
            optional=self._optional,
            default=None,
            name=self._name,
            version=self._version,
            doc=self._doc,
            parameters=dict(self._parameters) if self._parameters else None,
            fields=fields,
            key_schema=self._key_schema,
            value_schema=self._value_schema,
        )
        if self._default is not None:
            from connectless.data.values import validate_value

            validate_value(schema, self._default, "default value")
            object.__setattr__(schema, "default", self._default)
        return schema


def primitive(schema_type: Type, *, optional: bool = False) -> Schema:
    return Schema(type=schema_type, optional=optional)


INT8_SCHEMA = primitive(Type.INT8)
INT16_SCHEMA = primitive(Type.INT16)
INT32_SCHEMA = primitive(Type.INT32)
INT64_SCHEMA = primitive(Type.INT64)
FLOAT32_SCHEMA = primitive(Type.FLOAT32)
FLOAT64_SCHEMA = primitive(Type.FLOAT64)
BOOLEAN_SCHEMA = primitive(Type.BOOLEAN)
STRING_SCHEMA = primitive(Type.STRING)
BYTES_SCHEMA = primitive(Type.BYTES)
OPTIONAL_INT8_SCHEMA = primitive(Type.INT8, optional=True)
OPTIONAL_INT16_SCHEMA = primitive(Type.INT16, optional=True)
OPTIONAL_INT32_SCHEMA = primitive(Type.INT32, optional=True)
OPTIONAL_INT64_SCHEMA = primitive(Type.INT64, optional=True)
OPTIONAL_FLOAT32_SCHEMA = primitive(Type.FLOAT32, optional=True)
OPTIONAL_FLOAT64_SCHEMA = primitive(Type.FLOAT64, optional=True)
OPTIONAL_BOOLEAN_SCHEMA = primitive(Type.BOOLEAN, optional=True)
OPTIONAL_STRING_SCHEMA = primitive(Type.STRING, optional=True)
OPTIONAL_BYTES_SCHEMA = primitive(Type.BYTES, optional=True)


def struct_schema(fields: Iterable[tuple[str, Schema]], *, name: str | None = None, optional: bool = False) -> Schema:
    """Shorthand for a struct schema from (name, schema) pairs."""
    builder = SchemaBuilder.struct().name(name)
    if optional:
        builder.optional()
    for field_name, field_schema in fields:
        builder.field(field_name, field_schema)
    return builder.build()
