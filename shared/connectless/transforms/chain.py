"""TransformationChain: the connector's `transforms` and `predicates`, parsed as Kafka's ConnectorConfig does.

    transforms=route,mask
    transforms.route.type=RegexRouter             # Kafka class name, short alias or Python path
    transforms.route.regex=(.*)-raw
    transforms.route.replacement=$1
    transforms.route.predicate=isRaw              # optional; the stage runs only when the predicate holds
    transforms.route.negate=false                 # ... or, with negate=true, only when it does not
    predicates=isRaw
    predicates.isRaw.type=TopicNameMatches
    predicates.isRaw.pattern=.*-raw

The chain owns predicates and `negate`; transforms never see them. Each stage gets its own predicate
instance, as in Kafka. `apply` stops at the first stage that drops the record.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from connectless import native
from connectless.config import ConfigDef, ConfigError, ConfigType, Importance, Validator, Width
from connectless.config.configdef import parse_type
from connectless.data.struct import Struct
from connectless.errors.stage import Stage
from connectless.plugins import REGISTRY, PluginKind, PluginNotFoundError
from connectless.records import ConnectRecord
from connectless.transforms.base import KeyOperand, OperandRewrite, Predicate, Transformation, ValueOperand
from connectless.transforms.cache import SchemaUpdateCache
from connectless.transforms.util import struct_of, struct_values

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectless.data.schema import Schema
    from connectless.transforms.base import MapRunStep, MapStep, StructOp, StructStep

log = logging.getLogger(__name__)

R = TypeVar("R", bound=ConnectRecord)
T = TypeVar("T")

TRANSFORMS_CONFIG = "transforms"
PREDICATES_CONFIG = "predicates"
TYPE_CONFIG = "type"
PREDICATE_CONFIG = "predicate"
NEGATE_CONFIG = "negate"
TRANSFORMS_GROUP = "Transforms"
PREDICATES_GROUP = "Predicates"


class Executor(Protocol):
    """Runs one risky operation under the connector's error policy (RetryWithToleranceOperator).

    Returns the operation's result, or None when a failure was tolerated (the record is dropped).
    """

    def execute(self, operation: Callable[[], T], stage: Stage, klass: type) -> T | None: ...


@dataclass(frozen=True)
class ChainStage:
    """One `transforms` entry: the transform, and the predicate (possibly negated) that gates it."""

    alias: str
    transformation: Transformation
    predicate: Predicate | None = None
    negate: bool = False

    def apply(self, record: R) -> R | None:
        if self.predicate is None or self.negate ^ self.predicate.test(record):
            return self.transformation.apply(record)
        return record

    def close(self) -> None:
        for component in (self.transformation, self.predicate):
            if component is None:
                continue
            try:
                component.close()
            except Exception:  # a failing close must not stop the others, as Kafka's closeQuietly
                log.exception("Failed to close %s of transform stage %s", type(component).__name__, self.alias)


_NO_STRUCT_PLAN: tuple[None, tuple[()]] = (None, ())
_NO_STRUCT_OPS: tuple[None, tuple[()]] = (None, ())


class _FusedRewrites:
    """Back-to-back, predicate-free OperandRewrites of one side: the (schema, value) pair is passed from one to
    the next and a single record is built at the end, instead of one record per stage. The result is the same,
    as each rewrite reads only the operand it is given and the record's unchanged metadata."""

    __slots__ = (
        "_map_run_steps",
        "_map_steps",
        "_new_record",
        "_operands",
        "_schema_of",
        "_struct_ops",
        "_struct_plans",
        "_value_of",
        "first",
        "rewrites",
    )

    def __init__(self, rewrites: list[OperandRewrite]) -> None:
        self.rewrites = tuple(rewrites)
        self.first = rewrites[0]
        # Bound once: per record, no attribute lookups beyond the record's own.
        self._operands = tuple(rewrite.transform_operand for rewrite in rewrites)
        self._schema_of = self.first.operating_schema
        self._value_of = self.first.operating_value
        self._new_record = self.first.new_record
        # A schemaless map through rewrites that all have a map step: copied once, then changed in place.
        steps = [rewrite.owned_map_step() for rewrite in rewrites]
        known = tuple(step for step in steps if step is not None)
        self._map_steps: tuple[MapStep, ...] | None = known if len(known) == len(steps) else None
        self._map_run_steps: tuple[MapRunStep, ...] | None = None
        if self._map_steps is not None:
            run_steps = [rewrite.owned_map_run_step() for rewrite in rewrites]
            self._map_run_steps = tuple(step for step in run_steps if step is not None)
            if len(self._map_run_steps) != len(rewrites):  # a subclass that refuses the run form
                self._map_run_steps = None
        # A Struct through rewrites that all have a struct step: its values copied once, then changed in place,
        # one Struct built at the end. Planned once per input schema: (final schema, steps) or _NO_STRUCT_PLAN.
        self._struct_plans: SchemaUpdateCache[tuple[Schema | None, tuple[StructStep, ...]]] = SchemaUpdateCache()
        # The same plans as ops for native._avro.struct_run (a run of Structs in one call): (final schema, ops) or
        # _NO_STRUCT_OPS when a rewrite has no op form.
        self._struct_ops: SchemaUpdateCache[tuple[Schema | None, tuple[StructOp, ...]]] = SchemaUpdateCache()

    def __call__(self, record: Any) -> Any:
        schema = self._schema_of(record)
        value = self._value_of(record)
        map_steps = self._map_steps
        if schema is None and map_steps is not None and type(value) is dict:
            owned = dict(value)
            for step in map_steps:
                owned = step(record, owned)
            return self._new_record(record, None, owned)
        if type(value) is Struct and value.schema is schema:
            final_schema, struct_steps = self._struct_plans.get(schema) or self._plan_struct(schema)
            if final_schema is not None:
                values = list(struct_values(value))
                for struct_step in struct_steps:
                    values = struct_step(record, values)
                return self._new_record(record, final_schema, struct_of(final_schema, values))
        new_schema, new_value = schema, value
        for transform_operand in self._operands:
            new_schema, new_value = transform_operand(record, new_schema, new_value)
        if new_schema is schema and new_value is value:
            return record
        return self._new_record(record, new_schema, new_value)

    def apply_owned(self, record: Any) -> Any:
        """As __call__ for a value-side run, on a record its caller made and owns (the sink pipeline's fresh
        record): a Struct value's result is set on it in place instead of on a copy of the record."""
        value = record.value
        if type(value) is Struct and value.schema is record.value_schema:
            final_schema, struct_steps = self._struct_plans.get(value.schema) or self._plan_struct(value.schema)
            if final_schema is not None:
                values = list(struct_values(value))  # a converter may hand out a shared Struct (a default)
                for struct_step in struct_steps:
                    values = struct_step(record, values)
                record.value_schema = final_schema
                record.value = struct_of(final_schema, values)
                return record
        return self(record)

    def _plan_struct(self, schema: Schema) -> tuple[Schema | None, tuple[StructStep, ...]]:
        current: Schema = schema
        steps: list[StructStep] = []
        try:
            for rewrite in self.rewrites:
                planned = rewrite.owned_struct_step(current)
                if planned is None:
                    return self._struct_plans.put(schema, _NO_STRUCT_PLAN)
                current, step = planned
                if step is not None:
                    steps.append(step)
        except Exception:  # each rewrite in turn then raises it, in the order a record meets them
            return self._struct_plans.put(schema, _NO_STRUCT_PLAN)
        return self._struct_plans.put(schema, (current, tuple(steps)))

    def struct_run(self, pairs: Sequence[Any]) -> tuple[Schema, list[Any]] | None:
        """apply_owned's Struct path over a run of (schema, value) pairs (a batch reader's SchemaAndValues), in C:
        (the final schema, a list with, for each pair, the new Struct apply_owned would set on its record, or None
        where that record must go through apply_owned). None when the C module is off or the run's first schema
        has no op plan (then every record goes through apply_owned)."""
        fast = native.avro
        if fast is None or not pairs:
            return None
        schema = pairs[0][0]
        if schema is None:
            return None
        final_schema, ops = self._struct_ops.get(schema) or self._plan_struct_ops(schema)
        if final_schema is None:
            return None
        return final_schema, fast.struct_run(pairs, schema, final_schema, ops)

    def _plan_struct_ops(self, schema: Schema) -> tuple[Schema | None, tuple[StructOp, ...]]:
        final_schema, _steps = self._struct_plans.get(schema) or self._plan_struct(schema)
        if final_schema is None:
            return self._struct_ops.put(schema, _NO_STRUCT_OPS)
        current: Schema = schema
        ops: list[StructOp] = []
        try:
            for rewrite in self.rewrites:
                planned, rewrite_ops = rewrite.owned_struct_step(current), rewrite.owned_struct_ops(current)
                if planned is None or rewrite_ops is None:
                    return self._struct_ops.put(schema, _NO_STRUCT_OPS)
                current = planned[0]
                ops.extend(rewrite_ops)
        except Exception:  # apply_owned's Python steps then meet it record by record
            return self._struct_ops.put(schema, _NO_STRUCT_OPS)
        # apply_owned sets the plan's final schema: the same object here (each rewrite's schema cache gave it)
        if current is not final_schema:
            return self._struct_ops.put(schema, _NO_STRUCT_OPS)
        return self._struct_ops.put(schema, (final_schema, tuple(ops)))

    def apply_with(self, record: Any, executor: Executor) -> Any:
        """As __call__, with each rewrite run (and its failures handled) by `executor`."""
        first = self.first
        schema = first.operating_schema(record)
        value = first.operating_value(record)
        operand: Any = (schema, value)
        for rewrite in self.rewrites:
            operand = executor.execute(
                partial(rewrite.transform_operand, record, *operand), Stage.TRANSFORMATION, type(rewrite)
            )
            if operand is None:
                return None
        if operand[0] is schema and operand[1] is value:
            return record
        return first.new_record(record, *operand)


def _rewrite_side(stage: ChainStage) -> type | None:
    """KeyOperand/ValueOperand when the stage can join a fused run, else None."""
    transformation = stage.transformation
    if stage.predicate is not None or not isinstance(transformation, OperandRewrite):
        return None
    if type(transformation).apply is not OperandRewrite.apply:  # a subclass with its own apply()
        return None
    for side in (KeyOperand, ValueOperand):
        if isinstance(transformation, side):
            return side
    return None


def _plan_steps(stages: list[ChainStage]) -> list[ChainStage | _FusedRewrites]:
    steps: list[ChainStage | _FusedRewrites] = []
    run: list[ChainStage] = []
    run_side: type | None = None

    def flush() -> None:
        if len(run) > 1:
            steps.append(_FusedRewrites([cast("OperandRewrite", stage.transformation) for stage in run]))
        else:
            steps.extend(run)
        run.clear()

    for stage in stages:
        side = _rewrite_side(stage)
        if side is None or side is not run_side:
            flush()
        if side is None:
            steps.append(stage)
        else:
            run.append(stage)
        run_side = side
    flush()
    return steps


class _UniqueAliases(Validator):
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is not None and len(value) != len(set(value)):
            raise ConfigError(name, value, "Duplicate alias provided.")

    def __str__(self) -> str:
        return f"unique {self.kind} aliases"


BASE_CONFIG_DEF = (
    ConfigDef()
    .define(
        TRANSFORMS_CONFIG,
        ConfigType.LIST,
        [],
        _UniqueAliases("transformation"),
        Importance.LOW,
        "Aliases for the transformations to be applied to records.",
        group=TRANSFORMS_GROUP,
        display_name="Transforms",
    )
    .define(
        PREDICATES_CONFIG,
        ConfigType.LIST,
        [],
        _UniqueAliases("predicate"),
        Importance.LOW,
        "Aliases for the predicates used by transformations.",
        group=PREDICATES_GROUP,
        display_name="Predicates",
    )
)


# -- plugin resolution ----------------------------------------------------------------------------------
def _kafka_name(cls: type, kind: PluginKind) -> str:
    for desc in REGISTRY.all(kind):
        if desc.cls is cls:
            return desc.class_name
    return f"{cls.__module__}.{cls.__qualname__}"


def _abstract_error(key: str, name: str, variants: list[type], kind: PluginKind) -> ConfigError:
    names = ", ".join(_kafka_name(v, kind) for v in variants)
    return ConfigError(key, name, f"This class is abstract and cannot be created. Did you mean {names}?")


def resolve_class(key: str, name: str, kind: PluginKind, base: type) -> Any:
    """The class `name` stands for, or a ConfigError on `key` worded as Kafka's."""
    try:
        desc = REGISTRY.find(kind, name)
    except PluginNotFoundError:
        variants = []
        for side in ("$Key", "$Value"):
            try:
                variants.append(REGISTRY.find(kind, name.strip() + side).cls)
            except PluginNotFoundError:
                pass
        if variants:
            raise _abstract_error(key, name, variants, kind) from None
        raise ConfigError(key, name, f"Class {name} could not be found.") from None
    found = desc.cls
    if not (isinstance(found, type) and issubclass(found, base)):
        raise ConfigError(key, name, f"Not a {base.__name__}")
    if inspect.isabstract(found):
        variants = [v for v in (getattr(found, "Key", None), getattr(found, "Value", None)) if isinstance(v, type)]
        if variants:
            raise _abstract_error(key, name, variants, kind)
        raise ConfigError(key, name, "This class is abstract and cannot be created.")
    return found


def _with_prefix(err: ConfigError, prefix: str) -> ConfigError:
    """`err` re-addressed to the prefixed key (`spec` -> `transforms.cast.spec`)."""
    name = prefix + err.name
    text = str(err)
    for old, new in ((f"configuration {err.name}:", f"configuration {name}:"), (f'"{err.name}"', f'"{name}"')):
        text = text.replace(old, new, 1)
    prefixed = ConfigError(name, err.value, err.reason)
    prefixed.args = (text,)
    return prefixed


def _sub_config(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


def _aliases(config: Mapping[str, Any], name: str) -> list[str]:
    aliases: list[str] = parse_type(name, config.get(name, ""), ConfigType.LIST) or []
    _UniqueAliases(name)(name, aliases)
    return aliases


def _required(config: Mapping[str, Any], key: str) -> Any:
    if key not in config or config[key] is None:
        raise ConfigError.missing(key)
    return config[key]


# -- the chain ------------------------------------------------------------------------------------------
class TransformationChain:
    """The ordered transform stages of one connector. Without stages, `apply` returns records unchanged."""

    def __init__(self, stages: list[ChainStage] | None = None) -> None:
        self.stages: list[ChainStage] = list(stages or [])
        self._steps = _plan_steps(self.stages)
        self._appliers = [step if isinstance(step, _FusedRewrites) else step.apply for step in self._steps]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TransformationChain:
        """Build and configure every stage; raises ConfigError naming the offending key."""
        predicate_aliases = _aliases(config, PREDICATES_CONFIG)
        predicate_classes = {
            alias: _check_predicate(config, alias, instantiate=False)[0] for alias in predicate_aliases
        }
        stages = []
        try:
            for alias in _aliases(config, TRANSFORMS_CONFIG):
                stages.append(_build_stage(config, alias, predicate_classes))
        except BaseException:
            TransformationChain(stages).close()
            raise
        return cls(stages)

    def value_map_steps(self) -> tuple[MapStep, ...] | None:
        """When the whole chain is one run of value-side rewrites that all have map steps: those steps, which a
        pipeline may run on a schemaless map value it owns, in place of `apply`. Otherwise None."""
        if len(self._steps) != 1:
            return None
        step = self._steps[0]
        if not isinstance(step, _FusedRewrites) or not isinstance(step.first, ValueOperand):
            return None
        return step._map_steps

    def value_map_run_steps(self) -> tuple[MapRunStep, ...] | None:
        """`value_map_steps`, each over a run of maps at once (`OperandRewrite.owned_map_run_step`); None when
        value_map_steps is None."""
        if self.value_map_steps() is None:
            return None
        return cast("_FusedRewrites", self._steps[0])._map_run_steps

    def owned_value_rewrite(self) -> Callable[[Any], Any] | None:
        """When the whole chain is one run of value-side rewrites: `apply` without an executor for a record the
        caller owns, which it may change in place (see _FusedRewrites.apply_owned). Otherwise None."""
        if len(self._steps) != 1:
            return None
        step = self._steps[0]
        if not isinstance(step, _FusedRewrites) or not isinstance(step.first, ValueOperand):
            return None
        return step.apply_owned

    def owned_value_struct_run(self) -> Callable[[Sequence[Any]], tuple[Schema, list[Any]] | None] | None:
        """With owned_value_rewrite: its Struct path over a run of (schema, value) pairs in one call
        (_FusedRewrites.struct_run). Otherwise None."""
        if self.owned_value_rewrite() is None:
            return None
        return cast("_FusedRewrites", self._steps[0]).struct_run

    def unguarded(self) -> Callable[[Any], Any]:
        """`apply` without an executor, as one callable: the only step itself when there is one."""
        return self._appliers[0] if len(self._appliers) == 1 else self.apply

    def apply(self, record: R, executor: Executor | None = None) -> R | None:
        """Run `record` through every stage; None when a stage (or a tolerated failure) drops it."""
        if executor is None:
            current: Any = record
            for applier in self._appliers:
                current = applier(current)
                if current is None:
                    return None
            return current
        result: Any = record
        for step in self._steps:
            if isinstance(step, _FusedRewrites):
                result = step.apply_with(result, executor)
            else:
                result = executor.execute(partial(step.apply, result), Stage.TRANSFORMATION, type(step.transformation))
            if result is None:
                return None
        return result

    def close(self) -> None:
        for stage in self.stages:
            stage.close()

    def __len__(self) -> int:
        return len(self.stages)

    def __repr__(self) -> str:
        return f"TransformationChain({[s.alias for s in self.stages]})"

    # -- validation and docs ------------------------------------------------------------------------------
    @staticmethod
    def enriched_config_def(config: Mapping[str, Any]) -> ConfigDef:
        """`transforms`/`predicates` plus, per alias, `type`, `predicate`, `negate` and the plugin's own keys,
        all prefixed (`transforms.<alias>.`), as Kafka's ConnectorConfig.enrich builds it."""
        enriched = BASE_CONFIG_DEF
        for kind_config, kind, base in (
            (TRANSFORMS_CONFIG, PluginKind.TRANSFORMATION, Transformation),
            (PREDICATES_CONFIG, PluginKind.PREDICATE, Predicate),
        ):
            try:
                aliases = list(dict.fromkeys(parse_type(kind_config, config.get(kind_config, ""), ConfigType.LIST)))
            except ConfigError:
                continue
            for alias in aliases:
                enriched = enriched.merge(_alias_config_def(config, kind_config, alias, kind, base))
        return enriched

    @staticmethod
    def validate_config(config: Mapping[str, Any]) -> dict[str, list[str]]:
        """Every problem with the chain's configuration, as {config key: [messages]}; empty when valid."""
        errors: dict[str, list[str]] = {}
        for value in TransformationChain.enriched_config_def(config).validate(config):
            if value.errors:
                errors.setdefault(value.name, []).extend(value.errors)
        if not errors:
            _collect_configure_errors(config, errors)
        return errors


def _alias_config_def(
    config: Mapping[str, Any], kind_config: str, alias: str, kind: PluginKind, base: type
) -> ConfigDef:
    prefix = f"{kind_config}.{alias}."
    group = f"{TRANSFORMS_GROUP if base is Transformation else PREDICATES_GROUP}: {alias}"
    type_key = prefix + TYPE_CONFIG
    kind_label = "transformation" if base is Transformation else "predicate"

    class _TypeValidator(Validator):
        def ensure_valid(self, name: str, value: Any) -> None:
            resolve_class(name, value, kind, base)

        def __str__(self) -> str:
            return f"valid configs for {alias} {kind_label}"

    alias_def = ConfigDef().define(
        type_key,
        ConfigType.CLASS,
        validator=_TypeValidator(),
        importance=Importance.HIGH,
        documentation=f"Class for the '{alias}' {kind_label}.",
        group=group,
        order_in_group=0,
        width=Width.LONG,
        display_name=f"{base.__name__} type for {alias}",
    )
    if base is Transformation:
        alias_def.define(
            prefix + PREDICATE_CONFIG,
            ConfigType.STRING,
            None,
            _PredicateAlias(config),
            Importance.MEDIUM,
            "The alias of a predicate used to determine whether to apply this transformation.",
            group=group,
            order_in_group=1,
        ).define(
            prefix + NEGATE_CONFIG,
            ConfigType.BOOLEAN,
            None,
            _NegateNeedsPredicate(config, prefix),
            importance=Importance.MEDIUM,
            documentation="Whether the configured predicate should be negated.",
            group=group,
            order_in_group=2,
        )
    try:
        plugin_class = resolve_class(type_key, str(config.get(type_key, "")), kind, base)
    except ConfigError:
        return alias_def
    own = ConfigDef(
        key for key in plugin_class.CONFIG_DEF.keys.values() if key.name not in (PREDICATE_CONFIG, NEGATE_CONFIG)
    )
    return alias_def.merge(own.with_prefix(prefix, group))


class _PredicateAlias(Validator):
    """`transforms.x.predicate` must name an alias listed in `predicates`."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def ensure_valid(self, name: str, value: Any) -> None:
        try:
            defined = parse_type(PREDICATES_CONFIG, self.config.get(PREDICATES_CONFIG, ""), ConfigType.LIST)
        except ConfigError:
            return  # reported on `predicates` itself
        if value not in defined:
            raise ConfigError(name, value, f"Predicate alias '{value}' is not listed in '{PREDICATES_CONFIG}'.")

    def __str__(self) -> str:
        return "a predicate alias"


class _NegateNeedsPredicate(Validator):
    def __init__(self, config: Mapping[str, Any], prefix: str) -> None:
        self.config = config
        self.prefix = prefix

    def ensure_valid(self, name: str, value: Any) -> None:
        _check_negate(self.config, self.prefix)

    def __str__(self) -> str:
        return "requires a predicate"


def _check_negate(config: Mapping[str, Any], prefix: str) -> None:
    negate_key, predicate_key = prefix + NEGATE_CONFIG, prefix + PREDICATE_CONFIG
    if negate_key in config and predicate_key not in config:
        err = ConfigError(negate_key, config[negate_key], "no predicate to negate")
        err.args = (
            f"Config '{negate_key}' was provided but there is no config '{predicate_key}' defining a predicate to "
            "be negated.",
        )
        raise err


def _check_predicate(config: Mapping[str, Any], alias: str, instantiate: bool) -> tuple[Any, Predicate | None]:
    prefix = f"{PREDICATES_CONFIG}.{alias}."
    type_key = prefix + TYPE_CONFIG
    cls = resolve_class(type_key, str(_required(config, type_key)), PluginKind.PREDICATE, Predicate)
    props = _sub_config(config, prefix)
    try:
        if not instantiate:
            cls.CONFIG_DEF.parse(props)
            return cls, None
        predicate = cls()
        predicate.configure(props)
    except ConfigError as err:
        raise _with_prefix(err, prefix) from err
    return cls, predicate


def _build_stage(config: Mapping[str, Any], alias: str, predicate_classes: Mapping[str, type]) -> ChainStage:
    prefix = f"{TRANSFORMS_CONFIG}.{alias}."
    type_key = prefix + TYPE_CONFIG
    _check_negate(config, prefix)
    cls = resolve_class(type_key, str(_required(config, type_key)), PluginKind.TRANSFORMATION, Transformation)
    props = _sub_config(config, prefix)
    predicate_alias = props.pop(PREDICATE_CONFIG, None)
    negate = parse_type(prefix + NEGATE_CONFIG, props.pop(NEGATE_CONFIG, None), ConfigType.BOOLEAN) or False
    predicate = None
    if predicate_alias is not None:
        if predicate_alias not in predicate_classes:
            raise ConfigError(
                prefix + PREDICATE_CONFIG,
                predicate_alias,
                f"Predicate alias '{predicate_alias}' is not listed in '{PREDICATES_CONFIG}'.",
            )
        predicate = _check_predicate(config, predicate_alias, instantiate=True)[1]
    transformation = cls()
    try:
        transformation.configure(props)
    except ConfigError as err:
        if predicate is not None:
            predicate.close()
        raise _with_prefix(err, prefix) from err
    return ChainStage(alias, transformation, predicate, negate)


def _collect_configure_errors(config: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Problems only `configure` finds (e.g. InsertField with no field), on the key they name."""
    try:
        TransformationChain.from_config(config).close()
    except ConfigError as err:
        errors.setdefault(err.name, []).append(str(err))
