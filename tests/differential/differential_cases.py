"""Hypothesis strategies for the differential tests: connector configs and the records that go through them.

A case is {"side": "sink"|"source", "config": {...}, "records": [input lines of `connectless transform`]}.
Values are drawn as Kafka Connect data with a schema (nested structs, maps, arrays, logical types, optionals,
defaults) or schemaless (any JSON, numbers past 64 bits, -0.0), then written as the connector's converters
read them. Field names come from a small vocabulary so that SMT configs name fields the records have.
"""

from __future__ import annotations

import base64
import functools
import struct as pystruct
from typing import Any

from hypothesis import strategies as st

# The strategy factories below are cached (@functools.cache): strategies are immutable, and building them per
# example (st.characters with a codec above all) cost most of each example's time.

PKG = "org.apache.kafka.connect.transforms."
PRED = PKG + "predicates."
JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
NUMBER_CONVERTERS = {
    "org.apache.kafka.connect.converters.LongConverter": ">q",
    "org.apache.kafka.connect.converters.IntegerConverter": ">i",
    "org.apache.kafka.connect.converters.ShortConverter": ">h",
    "org.apache.kafka.connect.converters.DoubleConverter": ">d",
    "org.apache.kafka.connect.converters.FloatConverter": ">f",
}
BOOLEAN = "org.apache.kafka.connect.converters.BooleanConverter"
SIMPLE_HEADER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

FIELDS = ("a", "b", "c", "d")
TOPICS = ("orders", "t-1", "logs.2024")
HEADER_NAMES = ("h", "x", "y")
PRIMITIVES = (
    "int8",
    "int16",
    "int32",
    "int64",
    "float",
    "double",
    "boolean",
    "string",
    "bytes",
)  # JsonConverter's names
LOGICAL = {
    "org.apache.kafka.connect.data.Decimal": "bytes",
    "org.apache.kafka.connect.data.Date": "int32",
    "org.apache.kafka.connect.data.Time": "int32",
    "org.apache.kafka.connect.data.Timestamp": "int64",
}
INT_RANGES = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}

# ------------------------------------------------------------------ Connect schemas and values (JSON envelope form)


@functools.cache
def _primitive_schema() -> st.SearchStrategy[dict[str, Any]]:
    plain = st.sampled_from(PRIMITIVES).map(lambda t: {"type": t})
    logical = st.sampled_from(sorted(LOGICAL)).flatmap(
        lambda name: (
            st.just({"type": LOGICAL[name], "name": name, "version": 1})
            if name != "org.apache.kafka.connect.data.Decimal"
            else st.integers(0, 4).map(
                lambda s: {"type": "bytes", "name": name, "version": 1, "parameters": {"scale": str(s)}}
            )
        )
    )
    return st.one_of(plain, plain, logical)


def _with_optional(schema_st: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(schema_st, st.booleans()).map(lambda p: {**p[0], "optional": p[1]})


@st.composite
def _with_default(draw: st.DrawFn, schema_st: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A schema, one time in three with a default (what a null becomes with replace.null.with.default)."""
    schema = draw(schema_st)
    if draw(_ONE_IN_THREE):
        schema = {**schema, "default": _draw_payload(draw, {**schema, "optional": False})}
    return schema


def _struct_of(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)
    return names.flatmap(
        lambda ns: st.tuples(*(children for _ in ns)).map(
            lambda kids: {"type": "struct", "fields": [{**k, "field": n} for n, k in zip(ns, kids, strict=True)]}
        )
    )


@functools.cache
def schemas(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    """A Connect schema as JsonConverter writes it, with optional flags and defaults (and a struct named at the top)."""
    leaf = _with_default(_with_optional(_primitive_schema()))
    if depth == 0:
        return leaf
    child = schemas(depth - 1)
    composite = st.one_of(
        _struct_of(child),
        child.map(lambda c: {"type": "array", "items": c}),
        st.tuples(_with_optional(st.sampled_from(["string", "int32"]).map(lambda t: {"type": t})), child).map(
            lambda kv: {"type": "map", "keys": kv[0], "values": kv[1]}
        ),
    )
    return st.one_of(leaf, _with_optional(composite))


@functools.cache
def top_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Mostly a struct at the top (what SMTs work on), sometimes anything."""
    struct = _with_optional(_struct_of(schemas(1))).flatmap(
        lambda s: st.sampled_from([None, "com.example.Rec"]).map(lambda n: s if n is None else {**s, "name": n})
    )
    return st.one_of(struct, struct, struct, schemas(1))


@functools.cache
def _int(bits: int) -> st.SearchStrategy[int]:
    edges = [0, -1, 1, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1]
    return st.one_of(st.sampled_from(edges), st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))


@functools.cache
def _float32() -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from([0.0, -0.0, 1.5, -2.25, 3.4028234663852886e38, 1e-45]),
        st.floats(width=32, allow_nan=False, allow_infinity=False),
    )


@functools.cache
def _float64() -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from([0.0, -0.0, 0.1, 1e300, -1e-300, 2.0**53 + 1]), st.floats(allow_nan=False, allow_infinity=False)
    )


@functools.cache
def _text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["", "x", "true", "42", "-7", "1.5", "2024-01-02", "[1,2]", '{"a":1}', "null", "a b"]),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    )


def _draw_payload(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    """A payload fitting `schema`, in JsonConverter's JSON form (bytes and decimals base64).

    Drawn value by value from prebuilt strategies: a strategy built per schema would be validated per example.
    """
    if schema.get("optional") and draw(_ONE_IN_THREE):
        return None
    kind, name = schema["type"], schema.get("name")
    leaf = _logical_payloads().get(name) if name else None
    if leaf is None:
        leaf = _leaf_payloads().get(kind)
    if leaf is not None:
        return draw(leaf)
    if kind == "array":
        return [_draw_payload(draw, schema["items"]) for _ in range(draw(_SMALL_COUNT))]
    if kind == "map":
        keys, values = schema["keys"], schema["values"]
        if keys["type"] == "string" and not keys.get("optional"):
            return {draw(FIELD): _draw_payload(draw, values) for _ in range(draw(_SMALL_COUNT))}
        return [[_draw_payload(draw, keys), _draw_payload(draw, values)] for _ in range(draw(_SMALL_COUNT))]
    if kind == "struct":
        return {f["field"]: _draw_payload(draw, f) for f in schema["fields"]}
    raise AssertionError(kind)


_ONE_IN_THREE = st.integers(0, 2).map(lambda n: n == 0)
_SMALL_COUNT = st.integers(0, 3)


@functools.cache
def _logical_payloads() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "org.apache.kafka.connect.data.Decimal": st.integers(-(2**70), 2**70).map(_decimal_b64),
        "org.apache.kafka.connect.data.Date": st.integers(-50000, 50000),
        "org.apache.kafka.connect.data.Time": st.integers(0, 86_399_999),
        "org.apache.kafka.connect.data.Timestamp": st.one_of(
            st.integers(-(2**40), 2**42), st.sampled_from([0, 1_700_000_000_000])
        ),
    }


@functools.cache
def _leaf_payloads() -> dict[str, st.SearchStrategy[Any]]:
    return {
        **{kind: _int(bits) for kind, bits in INT_RANGES.items()},
        "float": _float32(),
        "double": _float64(),
        "boolean": st.booleans(),
        "string": _text(),
        "bytes": st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode()),
    }


@st.composite
def _envelopes(draw: st.DrawFn) -> str:
    schema = draw(top_schemas())
    return _dump({"schema": schema, "payload": _draw_payload(draw, schema)})


def _decimal_b64(unscaled: int) -> str:
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return base64.b64encode(unscaled.to_bytes(length, "big", signed=True)).decode()


@functools.cache
def schemaless_values(depth: int = 2) -> st.SearchStrategy[Any]:
    """Any JSON, numbers at the edges: beyond 64 bits, -0.0, float32-looking and float64 values."""
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        _int(64),
        st.sampled_from([2**63, -(2**63) - 1, 2**64 + 5, 10**30]),
        _float64(),
        _text(),
    )
    if depth == 0:
        return leaf
    child = schemaless_values(depth - 1)
    return st.one_of(
        leaf,
        st.dictionaries(st.sampled_from(FIELDS), child, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS), child, max_size=4),
        st.lists(child, max_size=3),
    )


@functools.cache
def schemaless_top() -> st.SearchStrategy[Any]:
    return st.one_of(st.dictionaries(st.sampled_from(FIELDS), schemaless_values(2), max_size=4), schemaless_values(2))


ENVELOPES = _envelopes()

# ------------------------------------------------------------------ converter configs and the bytes they read


def _dump(document: Any) -> str:
    import orjson

    try:
        return orjson.dumps(document).decode()
    except TypeError:  # integers past 64 bits: the stdlib writes them as JSON numbers too
        import json

        return json.dumps(document, separators=(",", ":"))


@functools.cache
def json_side(role: str) -> st.SearchStrategy[tuple[dict[str, str], st.SearchStrategy[str | None]]]:
    """A JsonConverter config for `role` (key|value) and a strategy for the text it reads."""

    def build(with_schemas: bool, decimal: str | None, replace_null: bool | None) -> tuple[dict[str, str], Any]:
        config = {f"{role}.converter": JSON, f"{role}.converter.schemas.enable": str(with_schemas).lower()}
        if decimal is not None:
            config[f"{role}.converter.decimal.format"] = decimal
        if replace_null is not None:
            config[f"{role}.converter.replace.null.with.default"] = str(replace_null).lower()
        if with_schemas:
            data = ENVELOPES
        else:
            data = schemaless_top().map(_dump)
        return config, data

    return st.builds(build, st.booleans(), st.sampled_from([None, "NUMERIC"]), st.sampled_from([None, False]))


@functools.cache
def plain_side(role: str) -> st.SearchStrategy[tuple[dict[str, str], st.SearchStrategy[Any]]]:
    """A non-JSON converter for `role` and a strategy for input it reads (sometimes bytes it cannot read)."""
    options: list[st.SearchStrategy[tuple[dict[str, str], Any]]] = [
        st.just(({f"{role}.converter": STRING}, _text())),
        st.just(
            (
                {f"{role}.converter": BYTES},
                st.binary(max_size=6).map(lambda b: {"base64": base64.b64encode(b).decode()}),
            )
        ),
        st.just(
            (
                {f"{role}.converter": BOOLEAN},
                st.sampled_from([{"base64": "AA=="}, {"base64": "AQ=="}, {"base64": "Ag=="}, "tr"]),
            )
        ),
    ]
    for cls, fmt in NUMBER_CONVERTERS.items():
        if fmt[-1] in "df":
            numbers = _float64() if fmt[-1] == "d" else _float32()
        else:
            numbers = _int({"q": 64, "i": 32, "h": 16}[fmt[-1]])
        packed = numbers.map(lambda n, fmt=fmt: {"base64": base64.b64encode(pystruct.pack(fmt, n)).decode()})
        wrong = st.binary(min_size=1, max_size=3).map(lambda b: {"base64": base64.b64encode(b).decode()})
        options.append(st.just(({f"{role}.converter": cls}, st.one_of(packed, packed, packed, wrong))))
    return st.one_of(options)


@functools.cache
def headers() -> st.SearchStrategy[list[list[Any]]]:
    values = st.one_of(
        st.none(), _text(), st.sampled_from(["[1,2]", '{"a":"b"}', "1.5", "-0.0", "9223372036854775808", "true"])
    )
    return st.lists(st.tuples(st.sampled_from(HEADER_NAMES), values).map(list), max_size=3)


_ONE_IN_FOUR = st.integers(0, 3).map(lambda n: n == 0)
_TIMESTAMPS = st.one_of(st.none(), st.integers(0, 2**42), st.just(1_700_000_000_123))


@st.composite
def records(
    draw: st.DrawFn, key_data: st.SearchStrategy[Any], value_data: st.SearchStrategy[Any], side: str
) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        record: dict[str, Any] = {
            "topic": draw(st.sampled_from(TOPICS)),
            "key": None if draw(_ONE_IN_THREE) else draw(key_data),
            "value": None if draw(_ONE_IN_FOUR) else draw(value_data),
            "headers": draw(headers()),
        }
        timestamp = draw(_TIMESTAMPS)
        if timestamp is not None:
            record["timestamp"] = timestamp
        if side == "sink":
            record["partition"] = draw(st.integers(0, 3))
            record["offset"] = draw(st.integers(0, 10**6))
        elif draw(st.booleans()):
            record["partition"] = draw(st.integers(0, 3))
        out.append(record)
    return out


# ------------------------------------------------------------------ SMT and predicate configs

FIELD = st.sampled_from(FIELDS)
FIELD_LIST = st.lists(FIELD, min_size=1, max_size=3, unique=True).map(",".join)
CAST_TYPES = ("int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string")


@functools.cache
def _nested_field() -> st.SearchStrategy[str]:
    return st.tuples(FIELD, FIELD).map(".".join)


@functools.cache
def _cast_spec() -> st.SearchStrategy[str]:
    pair = st.tuples(FIELD, st.sampled_from(CAST_TYPES)).map(":".join)
    return st.one_of(
        st.sampled_from(CAST_TYPES),
        st.lists(pair, min_size=1, max_size=3, unique_by=lambda p: p.split(":")[0]).map(",".join),
    )


LITERALS = st.sampled_from(
    ["0", "1", "-1", "abc", "true", "1.5", "-0.0", "9223372036854775808", "[1,2]", '{"a":1}', "", "3.4028235E38"]
)


@functools.cache
def smt_config(smt: str, variant: str | None) -> st.SearchStrategy[dict[str, str]]:
    """The settings (without the `transforms.<alias>.` prefix) of one SMT, `type` included."""
    type_ = PKG + smt + (f"${variant}" if variant else "")
    s: dict[str, st.SearchStrategy[Any]]
    optional: dict[str, st.SearchStrategy[Any]] = {}
    if smt == "Cast":
        s = {"spec": _cast_spec()}
        optional = {"replace.null.with.default": st.sampled_from(["true", "false"])}
    elif smt == "DropHeaders":
        s = {"headers": st.lists(st.sampled_from(HEADER_NAMES), min_size=1, max_size=2, unique=True).map(",".join)}
    elif smt == "ExtractField":
        s = {}
        optional = {"replace.null.with.default": st.sampled_from(["true", "false"])}
        return st.one_of(
            st.fixed_dictionaries({"type": st.just(type_), "field": FIELD}, optional=optional),
            st.fixed_dictionaries(
                {"type": st.just(type_), "field": _nested_field(), "field.syntax.version": st.just("V2")},
                optional=optional,
            ),
        )
    elif smt == "Filter":
        s = {}
    elif smt == "Flatten":
        s = {}
        optional = {"delimiter": st.sampled_from([".", "_"])}
    elif smt == "HeaderFrom":
        s = {
            "fields": st.just("a,b"),
            "headers": st.sampled_from(["h,x", "x,y"]),
            "operation": st.sampled_from(["copy", "move"]),
        }
        optional = {"replace.null.with.default": st.sampled_from(["true", "false"])}
    elif smt == "HoistField":
        s = {"field": st.sampled_from(["w", "a"])}
    elif smt == "InsertField":
        suffix = st.sampled_from(["", "?", "!"])
        s = {}
        optional = {
            "topic.field": st.tuples(st.just("t"), suffix).map("".join),
            "partition.field": st.tuples(st.just("p"), suffix).map("".join),
            "offset.field": st.tuples(st.just("o"), suffix).map("".join),
            "timestamp.field": st.tuples(st.just("ts"), suffix).map("".join),
            "static.field": st.sampled_from(["s", "a"]),
            "static.value": st.sampled_from(["v", "1"]),
            "replace.null.with.default": st.sampled_from(["true", "false"]),
        }
    elif smt == "InsertHeader":
        s = {"header": st.sampled_from(HEADER_NAMES), "value.literal": LITERALS}
    elif smt == "MaskField":
        s = {"fields": FIELD_LIST}
        optional = {"replacement": LITERALS, "replace.null.with.default": st.sampled_from(["true", "false"])}
    elif smt == "RegexRouter":
        s = {
            "regex": st.sampled_from(["(.*)", "t-(\\d)", "orders", "(.*)\\.(.*)"]),
            "replacement": st.sampled_from(["$1-x", "fixed", "$1"]),
        }
    elif smt == "ReplaceField":
        s = {}
        optional = {
            "exclude": FIELD_LIST,
            "include": FIELD_LIST,
            "renames": st.lists(
                st.tuples(FIELD, st.sampled_from(["r", "a", "z"])).map(":".join), min_size=1, max_size=2, unique=True
            ).map(",".join),
            "replace.null.with.default": st.sampled_from(["true", "false"]),
        }
    elif smt == "SetSchemaMetadata":
        s = {}
        optional = {
            "schema.name": st.sampled_from(["com.x.Y", "n"]),
            "schema.version": st.sampled_from(["1", "7"]),
            "replace.null.with.default": st.sampled_from(["true", "false"]),
        }
    elif smt == "TimestampConverter":
        s = {"target.type": st.sampled_from(["string", "unix", "Date", "Time", "Timestamp"])}
        optional = {
            "field": FIELD,
            "format": st.sampled_from(["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ss.SSS", "HH:mm"]),
            "unix.precision": st.sampled_from(["seconds", "milliseconds", "microseconds", "nanoseconds"]),
            "replace.null.with.default": st.sampled_from(["true", "false"]),
        }
    elif smt == "TimestampRouter":
        s = {}
        optional = {
            "topic.format": st.sampled_from(["${topic}-${timestamp}", "x_${timestamp}", "${topic}"]),
            "timestamp.format": st.sampled_from(["yyyyMMdd", "yyyy-MM-dd-HH"]),
        }
    elif smt == "ValueToKey":
        s = {"fields": FIELD_LIST}
        optional = {"replace.null.with.default": st.sampled_from(["true", "false"])}
    else:
        raise AssertionError(smt)
    return st.fixed_dictionaries({"type": st.just(type_), **s}, optional=optional)


SMTS: dict[str, tuple[str | None, ...]] = {
    "Cast": ("Key", "Value"),
    "DropHeaders": (None,),
    "ExtractField": ("Key", "Value"),
    "Filter": (None,),
    "Flatten": ("Key", "Value"),
    "HeaderFrom": ("Key", "Value"),
    "HoistField": ("Key", "Value"),
    "InsertField": ("Key", "Value"),
    "InsertHeader": (None,),
    "MaskField": ("Key", "Value"),
    "RegexRouter": (None,),
    "ReplaceField": ("Key", "Value"),
    "SetSchemaMetadata": ("Key", "Value"),
    "TimestampConverter": ("Key", "Value"),
    "TimestampRouter": (None,),
    "ValueToKey": (None,),
}


@functools.cache
def predicate_config() -> st.SearchStrategy[dict[str, str]]:
    return st.one_of(
        st.fixed_dictionaries({"type": st.just(PRED + "HasHeaderKey"), "name": st.sampled_from(HEADER_NAMES)}),
        st.just({"type": PRED + "RecordIsTombstone"}),
        st.fixed_dictionaries(
            {"type": st.just(PRED + "TopicNameMatches"), "pattern": st.sampled_from(["orders", "t-.*", ".*\\..*"])}
        ),
    )


@st.composite
def chains(draw: st.DrawFn, first: tuple[str, str | None] | None = None, max_extra: int = 1) -> dict[str, str]:
    """`transforms`/`predicates` settings: `first` (or a random SMT), up to `max_extra` more, some under predicates."""
    picks = [first] if first else []
    for _ in range(draw(st.integers(0 if first else 1, max_extra))):
        smt = draw(st.sampled_from(sorted(SMTS)))
        picks.append((smt, draw(st.sampled_from(SMTS[smt]))))
    config: dict[str, str] = {}
    aliases: list[str] = []
    predicates: list[str] = []
    for n, (smt, variant) in enumerate(picks):
        alias = f"t{n}"
        aliases.append(alias)
        for key, value in draw(smt_config(smt, variant)).items():
            config[f"transforms.{alias}.{key}"] = value
        if draw(st.integers(0, 3)) == 0 or smt == "Filter":
            pred = f"p{n}"
            predicates.append(pred)
            for key, value in draw(predicate_config()).items():
                config[f"predicates.{pred}.{key}"] = value
            config[f"transforms.{alias}.predicate"] = pred
            if draw(st.booleans()):
                config[f"transforms.{alias}.negate"] = "true"
    config["transforms"] = ",".join(aliases)
    if predicates:
        config["predicates"] = ",".join(predicates)
    return config


@st.composite
def cases(
    draw: st.DrawFn, transforms: st.SearchStrategy[dict[str, str]] | None, plain_converters: bool = False
) -> dict[str, Any]:
    """A whole case: side, converters, errors.tolerance, the transforms given, and 1-3 records."""
    side = draw(st.sampled_from(["sink", "source"]))
    key_side = plain_side("key") if plain_converters and draw(st.booleans()) else json_side("key")
    value_side = plain_side("value") if plain_converters and draw(st.booleans()) else json_side("value")
    key_config, key_data = draw(key_side)
    value_config, value_data = draw(value_side)
    config = {"name": "differential", **key_config, **value_config}
    if side == "sink":
        config["connector.class"] = "org.apache.kafka.connect.file.FileStreamSinkConnector"
        config["topics"] = ",".join(TOPICS)
    else:
        config["connector.class"] = "org.apache.kafka.connect.file.FileStreamSourceConnector"
        config["topic"] = TOPICS[0]
    if draw(st.booleans()):
        header = draw(st.sampled_from([SIMPLE_HEADER, STRING, JSON]))
        config["header.converter"] = header
        if header == JSON:
            config["header.converter.schemas.enable"] = draw(st.sampled_from(["true", "false"]))
    config["errors.tolerance"] = draw(st.sampled_from(["none", "all"]))
    if transforms is not None:
        config.update(draw(transforms))
    return {"side": side, "config": config, "records": draw(records(key_data, value_data, side))}
