"""Field paths with `field.syntax.version` V1 (a top-level name) or V2 (dotted, KIP-821).

V2 splits on dots; a step wrapped in backticks may contain dots (`` `foo.bar`.baz ``), and a backtick
preceded by a backslash inside such a step is a literal backtick. A trailing dot adds an empty step.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, ValidString
from connectless.data import DataError, Struct, Type
from connectless.transforms.util import config_error, require_map_or_null, require_struct_or_null

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.data import Field, Schema

FIELD_SYNTAX_VERSION_CONFIG = "field.syntax.version"
FIELD_SYNTAX_VERSION_DOC = (
    "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to "
    "access the elements at the root level of the struct or map. If set to `V2`, the syntax will support "
    "accessing nested elements. To access nested elements, dotted notation is used. If dots are already "
    "included in the field name, then backtick pairs can be used to wrap field names containing dots. "
    'E.g. to access the subfield `baz` from a field named "foo.bar" in a struct/map the following format can '
    'be used to access its elements: "`foo.bar`.baz".'
)


class FieldSyntaxVersion(enum.Enum):
    V1 = "V1"
    V2 = "V2"

    @classmethod
    def from_config(cls, value: str) -> FieldSyntaxVersion:
        try:
            return cls(value.upper())
        except ValueError:
            raise config_error(FIELD_SYNTAX_VERSION_CONFIG, "Unrecognized field syntax version", value) from None


def append_field_syntax_config(config_def: ConfigDef) -> ConfigDef:
    return config_def.define(
        FIELD_SYNTAX_VERSION_CONFIG,
        ConfigType.STRING,
        FieldSyntaxVersion.V1.value,
        ValidString([v.value for v in FieldSyntaxVersion], case_sensitive=False),
        Importance.HIGH,
        FIELD_SYNTAX_VERSION_DOC,
    )


_BACKTICK, _DOT, _BACKSLASH = "`", ".", "\\"


def _parse_v2(path: str) -> tuple[str, ...]:
    steps: list[str] = []
    idx = 0
    while 0 <= idx < len(path):
        if path[idx] != _BACKTICK:
            dot = path.find(_DOT, idx)
            steps.append(path[idx:] if dot < 0 else path[idx:dot])
            idx = -1 if dot < 0 else dot + 1
            continue
        opened_at, idx = idx, idx + 1
        start, parts = idx, []
        while True:
            idx = path.find(_BACKTICK, idx)
            if idx < 0:
                raise _incomplete_backticks(path, opened_at)
            escaped = path[idx - 1] == _BACKSLASH
            if idx >= len(path) - 1:  # closing backtick ends the path
                if escaped:
                    raise _incomplete_backticks(path, opened_at)
                parts.append(path[start:idx])
                idx += 1
                break
            if path[idx + 1] != _DOT:  # a backtick inside the name: keep looking
                idx += 1
                continue
            if escaped:  # \` before a dot is a literal backtick
                parts.append(path[start : idx - 1] + _BACKTICK)
                idx += 1
                start = idx
                continue
            parts.append(path[start:idx])
            idx += 2
            break
        steps.append("".join(parts))
    if path.endswith(_DOT) or not steps:
        steps.append("")
    return tuple(steps)


def _incomplete_backticks(path: str, position: int) -> Exception:
    return config_error(
        "field",
        f"Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at "
        f"position {position} to escape it",
    )


class SingleFieldPath:
    """A path to one field inside a Struct or a map."""

    __slots__ = ("_last", "_parents", "steps", "version")

    def __init__(self, path: str, version: FieldSyntaxVersion = FieldSyntaxVersion.V1) -> None:
        self.version = version
        self.steps: tuple[str, ...] = (path,) if version is FieldSyntaxVersion.V1 else _parse_v2(path)
        self._parents = self.steps[:-1]
        self._last = self.steps[-1]

    def field_from(self, schema: Schema | None) -> Field | None:
        """The Field at this path in a struct schema, or None when any step is missing.

        Raises DataError when a step meets a schema that is not a struct, as Kafka's Schema#field does.
        """
        if schema is None:
            return None
        current = schema
        for step in self._parents:
            found = _struct_field(current, step)
            if found is None:
                return None
            current = found.schema
        return _struct_field(current, self._last)

    def value_from_struct(self, struct: Struct | None, replace_null_with_default: bool = True) -> Any:
        current = struct
        for step in self._parents:
            if current is None or current.schema.field(step) is None:
                return None
            current = require_struct_or_null(current.get(step), "nested field access")
        if current is None or current.schema.field(self._last) is None:
            return None
        return current.get(self._last) if replace_null_with_default else current.get_without_default(self._last)

    def value_from_map(self, value: Mapping[str, Any] | None) -> Any:
        current = value
        for step in self._parents:
            if current is None:
                return None
            current = require_map_or_null(current.get(step), "nested field access")
        return None if current is None else current.get(self._last)

    def value_from(self, value: Struct | Mapping[str, Any] | None, replace_null_with_default: bool = True) -> Any:
        if isinstance(value, Struct):
            return self.value_from_struct(value, replace_null_with_default)
        return self.value_from_map(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleFieldPath) and other.steps == self.steps

    def __hash__(self) -> int:
        return hash(self.steps)

    def __repr__(self) -> str:
        return f"SingleFieldPath(version={self.version.value}, path={'.'.join(self.steps)})"


def _struct_field(schema: Schema, name: str) -> Field | None:
    if schema.type is not Type.STRUCT:
        raise DataError("Cannot look up fields on non-struct type")
    return schema.field(name)
