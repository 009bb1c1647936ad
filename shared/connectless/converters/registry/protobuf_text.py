""".proto text -> a protobuf descriptor, for registries that keep Protobuf schemas as text (AWS Glue).

proto-schema-parser (pure Python) gives the syntax tree; this module turns it into a FileDescriptorProto as protoc
would: type references resolved by Protobuf's scoping rules (innermost scope first), map fields as nested
`<Name>Entry` messages, proto3 `optional` as synthetic oneofs placed after the real ones. Imports resolve to the
built-in files (google/protobuf/*, google/type/*) or to the files the caller supplies (Glue's own
metadata/metadata.proto and additionalTypes/decimal.proto). Custom field options (such as Glue's
`(metadata.metadata_key)`) are returned beside the descriptor, by field full name, not set as extensions.
Groups, extensions and services are not read (a group is refused; services and extensions are ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectless.converters.registry import protobuf_builtins
from connectless.data.errors import DataError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_SCALARS = {
    "double": 1, "float": 2, "int64": 3, "uint64": 4, "int32": 5, "fixed64": 6, "fixed32": 7, "bool": 8,
    "string": 9, "bytes": 12, "uint32": 13, "sfixed32": 15, "sfixed64": 16, "sint32": 17, "sint64": 18,
}  # fmt: skip
TYPE_MESSAGE, TYPE_ENUM = 11, 14
LABEL_OPTIONAL, LABEL_REQUIRED, LABEL_REPEATED = 1, 2, 3


@dataclass
class ParsedProto:
    """A parsed .proto file: its descriptor in a fresh pool, and its custom field options by field full name."""

    file: Any
    proto3: bool
    custom_options: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse(text: str, extra_files: Mapping[str, Callable[[], Any]] | None = None) -> ParsedProto:
    """Parse .proto `text` and build its FileDescriptor. `extra_files` supplies non-built-in imports by name."""
    from google.protobuf import descriptor_pool
    from proto_schema_parser.parser import Parser

    try:
        tree = Parser(setup_lexer=_raise_on_errors, setup_parser=_raise_on_errors).parse(text)
    except DataError:
        raise
    except Exception as exc:  # the tree builder's own errors
        raise DataError(f"Invalid Protobuf schema text: {exc}") from exc
    extra = dict(extra_files or {})
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    symbols: dict[str, int] = {}
    builder = _Builder(tree, symbols)
    for dependency in builder.imports:
        if dependency in extra:
            if dependency not in added:
                proto = extra[dependency]()
                pool.Add(proto)
                added.add(dependency)
                _collect(proto, symbols)
        elif protobuf_builtins.is_builtin(dependency):
            protobuf_builtins.add_to(pool, dependency, added)
            _collect(protobuf_builtins.file_proto(dependency), symbols)
        else:
            raise DataError(f"Protobuf import {dependency} is not known (imports of other schemas are not supported)")
    proto = builder.build()
    try:
        file = pool.Add(proto)
    except Exception as exc:  # TypeError/KeyError from the pool on an invalid file
        raise DataError(f"Invalid Protobuf schema: {exc}") from exc
    return ParsedProto(file, builder.proto3, builder.custom_options)


def _raise_on_errors(recognizer: Any) -> None:
    """ANTLR recovers from syntax errors and prints them; a schema with one is refused instead."""
    from antlr4.error.ErrorListener import ErrorListener

    class Raising(ErrorListener):
        def syntaxError(self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any) -> None:  # noqa: N802
            raise DataError(f"Invalid Protobuf schema text: line {line}:{column}: {msg}")

    recognizer.removeErrorListeners()
    recognizer.addErrorListener(Raising())


def _collect(proto: Any, symbols: dict[str, int]) -> None:
    prefix = f"{proto.package}." if proto.package else ""
    for enum in proto.enum_type:
        symbols[prefix + enum.name] = TYPE_ENUM

    def messages(items: Any, scope: str) -> None:
        for message in items:
            name = scope + message.name
            symbols[name] = TYPE_MESSAGE
            for enum in message.enum_type:
                symbols[f"{name}.{enum.name}"] = TYPE_ENUM
            messages(message.nested_type, name + ".")

    messages(proto.message_type, prefix)


def map_entry_name(field_name: str) -> str:
    """protoc's name of a map field's entry message: CamelCase of the field name, then `Entry`."""
    parts = field_name.split("_")
    camel = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return camel[:1].upper() + camel[1:] + "Entry"


class _Builder:
    """Syntax tree -> FileDescriptorProto, in two passes: declare every type, then resolve field types."""

    def __init__(self, tree: Any, symbols: dict[str, int]) -> None:
        from proto_schema_parser import ast

        self.ast, self.tree, self.symbols = ast, tree, symbols
        self.package = next((e.name for e in tree.file_elements if isinstance(e, ast.Package)), "")
        self.imports = [e.name for e in tree.file_elements if isinstance(e, ast.Import)]
        self.proto3 = (tree.syntax or "proto2") == "proto3"
        self.custom_options: dict[str, dict[str, Any]] = {}
        self._declare(tree.file_elements, self.package)

    def _declare(self, elements: list[Any], scope: str) -> None:
        for element in elements:
            if not isinstance(element, (self.ast.Message, self.ast.Enum)):
                if isinstance(element, self.ast.MapField):
                    self.symbols[f"{scope}.{map_entry_name(element.name)}"] = TYPE_MESSAGE
                continue
            name = f"{scope}.{element.name}" if scope else element.name
            if isinstance(element, self.ast.Message):
                self.symbols[name] = TYPE_MESSAGE
                self._declare(element.elements, name)
            else:
                self.symbols[name] = TYPE_ENUM

    def build(self) -> Any:
        from google.protobuf import descriptor_pb2

        proto = descriptor_pb2.FileDescriptorProto(name="schema.proto", package=self.package)
        proto.syntax = "proto3" if self.proto3 else "proto2"
        proto.dependency.extend(self.imports)
        for element in self.tree.file_elements:
            if isinstance(element, self.ast.Message):
                self._message(proto.message_type.add(), element, self.package)
            elif isinstance(element, self.ast.Enum):
                self._enum(proto.enum_type.add(), element)
        return proto

    def _message(self, target: Any, message: Any, scope: str) -> None:
        target.name = message.name
        full = f"{scope}.{message.name}" if scope else message.name
        synthetic: list[Any] = []
        for element in message.elements:
            if isinstance(element, self.ast.Field):
                made = self._field(target.field.add(), element, full)
                if self.proto3 and element.cardinality == self.ast.FieldCardinality.OPTIONAL:
                    synthetic.append(made)
            elif isinstance(element, self.ast.MapField):
                self._map(target, element, full)
            elif isinstance(element, self.ast.OneOf):
                index = len(target.oneof_decl)
                target.oneof_decl.add(name=element.name)
                for member in element.elements:
                    if isinstance(member, self.ast.Field):
                        self._field(target.field.add(), member, full).oneof_index = index
            elif isinstance(element, self.ast.Message):
                self._message(target.nested_type.add(), element, full)
            elif isinstance(element, self.ast.Enum):
                self._enum(target.enum_type.add(), element)
            elif isinstance(element, self.ast.Group):
                raise DataError(f"Protobuf groups are not supported (group {element.name} in {full})")
        for made in synthetic:  # proto3 optional: a one-field oneof `_name`, after the real oneofs
            made.proto3_optional = True
            made.oneof_index = len(target.oneof_decl)
            target.oneof_decl.add(name=f"_{made.name}")

    def _field(self, target: Any, element: Any, scope: str) -> Any:
        target.name, target.number = element.name, element.number
        cardinality = self.ast.FieldCardinality
        target.label = {cardinality.REPEATED: LABEL_REPEATED, cardinality.REQUIRED: LABEL_REQUIRED}.get(
            element.cardinality, LABEL_OPTIONAL
        )
        self._type(target, element.type, scope)
        self._options(target, element.options, f"{scope}.{element.name}")
        return target

    def _type(self, target: Any, name: str, scope: str) -> None:
        if name in _SCALARS:
            target.type = _SCALARS[name]
            return
        full = self._resolve(name, scope)
        target.type, target.type_name = self.symbols[full], f".{full}"

    def _resolve(self, name: str, scope: str) -> str:
        if name.startswith("."):
            if name[1:] in self.symbols:
                return name[1:]
        else:
            parts = scope.split(".") if scope else []
            for end in range(len(parts), -1, -1):
                candidate = ".".join([*parts[:end], name])
                if candidate in self.symbols:
                    return candidate
        raise DataError(f"Protobuf type {name} (used in {scope}) is not defined")

    def _options(self, target: Any, options: list[Any], full_name: str) -> None:
        for option in options:
            if option.name == "packed":
                target.options.packed = bool(option.value)
            elif option.name == "default":
                target.default_value = (
                    str(option.value).lower() if isinstance(option.value, bool) else str(option.value)
                )
            elif option.name.startswith("("):
                self.custom_options.setdefault(full_name, {})[option.name.strip("()")] = option.value

    def _map(self, target: Any, element: Any, scope: str) -> None:
        entry = target.nested_type.add(name=map_entry_name(element.name))
        entry.options.map_entry = True
        for number, (name, type_name) in enumerate((("key", element.key_type), ("value", element.value_type)), 1):
            item = entry.field.add(name=name, number=number, label=LABEL_OPTIONAL)
            self._type(item, type_name, scope)
        made = target.field.add(name=element.name, number=element.number, label=LABEL_REPEATED, type=TYPE_MESSAGE)
        made.type_name = f".{scope}.{entry.name}"
        self._options(made, element.options, f"{scope}.{element.name}")

    def _enum(self, target: Any, enum: Any) -> None:
        target.name = enum.name
        for element in enum.elements:
            if isinstance(element, self.ast.EnumValue):
                target.value.add(name=element.name, number=element.number)
            elif isinstance(element, self.ast.Option) and element.name == "allow_alias":
                target.options.allow_alias = bool(element.value)
