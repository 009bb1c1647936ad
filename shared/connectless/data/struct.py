"""`Struct`: a value of a struct schema, validated field by field as it is filled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.data.errors import DataError
from connectless.data.schema import Type
from connectless.data.values import validate_value

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectless.data.schema import Field, Schema


class Struct:
    """A struct value. Fields are set with `put` (validated) and read with `get` (falls back to the default)."""

    __slots__ = ("_values", "schema")

    def __init__(self, schema: Schema) -> None:
        if schema.type is not Type.STRUCT:
            raise DataError("Not a struct schema: " + repr(schema))
        self.schema = schema
        self._values: list[Any] = [None] * len(schema.fields)

    @classmethod
    def of_values(cls, schema: Schema, values: list[Any]) -> Struct:
        """A struct holding `values` in field order, unchecked: for converters whose decoder already enforced
        the schema (the list is taken, not copied)."""
        struct = cls.__new__(cls)
        struct.schema = schema
        struct._values = values
        return struct

    def _lookup(self, name: str) -> Field:
        found = self.schema.field(name)
        if found is None:
            raise DataError(f"{name} is not a valid field name")
        return found

    def put(self, name: str, value: Any) -> Struct:
        """Set field `name`, validating `value` against the field's schema. Returns self, for chaining."""
        found = self._lookup(name)
        validate_value(found.schema, value, name)
        self._values[found.index] = value
        return self

    def put_unchecked(self, name: str, value: Any) -> Struct:
        """Set a field without validation, for values already known to fit (hot paths in converters)."""
        self._values[self._lookup(name).index] = value
        return self

    def get(self, name: str) -> Any:
        found = self._lookup(name)
        value = self._values[found.index]
        return found.schema.default if value is None else value

    def get_without_default(self, name: str) -> Any:
        return self._values[self._lookup(name).index]

    def items(self) -> Iterator[tuple[str, Any]]:
        """(field name, value without default) pairs, in schema order."""
        for f in self.schema.fields:
            yield f.name, self._values[f.index]

    def validate(self) -> None:
        """Check that every required field is set and every value fits its schema."""
        for f in self.schema.fields:
            validate_value(f.schema, self._values[f.index], f.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Struct):
            return NotImplemented
        return self.schema == other.schema and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(repr(v) for v in self._values))

    def __repr__(self) -> str:
        inner = ",".join(f"{f.name}={self._values[f.index]!r}" for f in self.schema.fields)
        return f"Struct{{{inner}}}"
