"""The SMT SPI: `Transformation` and `Predicate`, plus the Key/Value variant machinery.

A transformation never mutates its input: `apply` returns a new record, the same record when there is
nothing to change, or None to drop it. Predicates and `negate` belong to the chain, not to transforms.

Example:
    class Upper(ValueTransformation):
        def apply(self, record):
            return self.new_record(record, record.value_schema, record.value.upper())

Transforms that work on either side of a record are written once against three hooks
(`operating_schema`, `operating_value`, `new_record`) and become `$Key`/`$Value` classes by mixing in
`KeyOperand` or `ValueOperand`; `register_variants` registers both under Kafka's class names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from connectless.config import ConfigDef
from connectless.plugins import PluginKind, register
from connectless.records import ConnectRecord
from connectless.transforms.util import with_key, with_value

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.data import Schema

    # A rewrite of a schemaless map the chain owns: (record for its metadata, the dict) -> the resulting dict.
    MapStep = Callable[[ConnectRecord, dict[str, Any]], dict[str, Any]]
    # A map step over a run: (the records, the dicts the chain owns, one per record) -> the resulting dicts, in order.
    MapRunStep = Callable[[Sequence[ConnectRecord], list[dict[str, Any]]], list[dict[str, Any]]]
    # The same for a Struct's field values: (record for its metadata, a list the chain owns) -> the new values.
    StructStep = Callable[[ConnectRecord, list[Any]], list[Any]]
    # A struct step as connectless.native._avro.struct_run runs it: (0, value) appends value; (1, index, direct,
    # convert) sets values[index] to direct(v) for an exact int v when direct is not None, else to convert(v).
    StructOp = tuple[Any, ...]

R = TypeVar("R", bound=ConnectRecord)
T = TypeVar("T", bound=type)

KAFKA_TRANSFORMS = "org.apache.kafka.connect.transforms."
KAFKA_PREDICATES = "org.apache.kafka.connect.transforms.predicates."


class Transformation(ABC):
    """One single message transform. Subclasses declare CONFIG_DEF and implement configure/apply."""

    CONFIG_DEF: ClassVar[ConfigDef] = ConfigDef()
    OVERVIEW_DOC: ClassVar[str] = ""
    VERSION: ClassVar[str] = "0.1.0"

    def configure(self, props: Mapping[str, Any]) -> None:
        """Parse and validate `props` against CONFIG_DEF; raises ConfigError naming the bad key."""
        self.CONFIG_DEF.parse(props)

    @abstractmethod
    def apply(self, record: R) -> R | None:
        """The transformed record, `record` itself when unchanged, or None to drop it."""

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def close(self) -> None:
        """Release resources; the instance is not used afterwards."""


class Predicate(ABC):
    """A condition on a record, deciding whether a chain stage applies its transform."""

    CONFIG_DEF: ClassVar[ConfigDef] = ConfigDef()
    OVERVIEW_DOC: ClassVar[str] = ""
    VERSION: ClassVar[str] = "0.1.0"

    def configure(self, props: Mapping[str, Any]) -> None:
        self.CONFIG_DEF.parse(props)

    @abstractmethod
    def test(self, record: ConnectRecord) -> bool: ...

    def config(self) -> ConfigDef:
        return self.CONFIG_DEF

    def close(self) -> None:
        """Release resources; the instance is not used afterwards."""


class OperandTransformation(Transformation):
    """A transform written once for key or value; a `KeyOperand`/`ValueOperand` mixin picks the side."""

    @staticmethod
    @abstractmethod
    def operating_schema(record: ConnectRecord) -> Schema | None: ...

    @staticmethod
    @abstractmethod
    def operating_value(record: ConnectRecord) -> Any: ...

    @staticmethod
    @abstractmethod
    def new_record(record: R, schema: Schema | None, value: Any) -> R: ...


class OperandRewrite(OperandTransformation):
    """A transform whose only effect is a new schema and value on its side of the record.

    It implements `transform_operand`; `record` is passed for its metadata (topic, partition, offset,
    timestamp) only, never for the operand, so the chain may run several rewrites of the same side
    back to back and build a single record at the end.
    """

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        new_schema, new_value = self.transform_operand(record, schema, value)
        if new_schema is schema and new_value is value:
            return record
        return self.new_record(record, new_schema, new_value)

    @abstractmethod
    def transform_operand(self, record: ConnectRecord, schema: Schema | None, value: Any) -> tuple[Schema | None, Any]:
        """The operated side's new (schema, value); return them unchanged (same objects) for no change."""

    def owned_map_step(self) -> MapStep | None:
        """What `transform_operand` does to a schemaless map (schema None, a dict value), as a step of a chain of
        rewrites: `step(record, owned)` gets a dict the chain made for itself, may change it in place, and returns
        the result. None: no such step (the chain then calls `transform_operand`)."""
        return None

    def owned_map_run_step(self) -> MapRunStep | None:
        """`owned_map_step` over a run of maps at once, for a pipeline that reads a batch: `step(records, owned)`
        gets the records (for their metadata) and, at the same positions, the dicts the chain made for them; it may
        change the dicts in place and returns the resulting dicts in order. A step that raises for one map leaves
        the run to be done again map by map. This default calls the map step once per map; a transform whose step
        is cheap writes its own loop, so a map costs no call."""
        step = self.owned_map_step()
        if step is None:
            return None

        def each(records: Sequence[ConnectRecord], owned: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [step(record, value) for record, value in zip(records, owned, strict=True)]

        return each

    def owned_struct_step(self, schema: Schema) -> tuple[Schema, StructStep | None] | None:
        """What `transform_operand` does to a Struct whose own schema is `schema` (the operand's schema too), as
        a step of a chain of rewrites: (the new schema, step), where `step(record, owned)` gets the field values
        in a list the chain made for itself, may change it in place, and returns the new struct's values; a step
        of None leaves the values as they are (a rename). None: no such step (the chain calls `transform_operand`).
        Asked once per schema; it may raise what planning that schema raises."""
        return None

    def owned_struct_ops(self, schema: Schema) -> tuple[StructOp, ...] | None:
        """`owned_struct_step(schema)`'s step as ops that connectless.native._avro.struct_run runs over a run of
        Structs in C (StructOp above); () for a step of None. None: the step has no such form (the chain then
        runs the struct steps in Python). Asked once per schema, after owned_struct_step."""
        return None


class KeyOperand(OperandTransformation):
    """Mixin: operate on the record key."""

    @staticmethod
    def operating_schema(record: ConnectRecord) -> Schema | None:
        return record.key_schema

    @staticmethod
    def operating_value(record: ConnectRecord) -> Any:
        return record.key

    @staticmethod
    def new_record(record: R, schema: Schema | None, value: Any) -> R:
        return with_key(record, schema, value)


class ValueOperand(OperandTransformation):
    """Mixin: operate on the record value."""

    @staticmethod
    def operating_schema(record: ConnectRecord) -> Schema | None:
        return record.value_schema

    @staticmethod
    def operating_value(record: ConnectRecord) -> Any:
        return record.value

    @staticmethod
    def new_record(record: R, schema: Schema | None, value: Any) -> R:
        return with_value(record, schema, value)


def register_transformation(simple_name: str) -> Callable[[T], T]:
    """Register a transform under Kafka's class name and its simple name."""
    return register(PluginKind.TRANSFORMATION, KAFKA_TRANSFORMS + simple_name, simple_name)


def register_predicate(simple_name: str) -> Callable[[T], T]:
    return register(PluginKind.PREDICATE, KAFKA_PREDICATES + simple_name, simple_name)


def register_variants(base: type, key_cls: type, value_cls: type) -> None:
    """Register `<base>$Key`/`<base>$Value` (full Kafka name and short alias) and expose base.Key/base.Value.

    The attributes make Python paths such as `connectless.transforms.cast.Cast$Value` resolve too.
    """
    simple = base.__name__
    for side, cls in (("Key", key_cls), ("Value", value_cls)):
        cls.__doc__ = cls.__doc__ or f"{simple} applied to the record {side.lower()}."
        register(PluginKind.TRANSFORMATION, f"{KAFKA_TRANSFORMS}{simple}${side}", f"{simple}${side}")(cls)
        setattr(base, side, cls)
