"""InsertHeader and DropHeaders."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from smt_helpers import configured, sink

from connectless.config import ConfigError
from connectless.data import (
    BOOLEAN_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Type,
    logical,
)
from connectless.records import Header, Headers
from connectless.transforms import DropHeaders, InsertHeader


@pytest.mark.parametrize(
    ("literal", "schema", "value"),
    [
        ("hello", STRING_SCHEMA, "hello"),
        ("", STRING_SCHEMA, ""),
        ("42", INT8_SCHEMA, 42),
        ("1000", INT16_SCHEMA, 1000),
        ("9000000000", INT64_SCHEMA, 9000000000),
        ("true", BOOLEAN_SCHEMA, True),
        ("1.5", FLOAT32_SCHEMA, 1.5),
        ("1.0", INT8_SCHEMA, 1),  # integral numbers take the narrowest integer type
        ("1e3", INT16_SCHEMA, 1000),
        ("1e39", FLOAT64_SCHEMA, 1e39),
        # As Kafka 4.1.1's InsertHeader (checked by running it): quotes are kept at the top level, the literals
        # are lower case, and a map needs quoted-free keys that parse.
        ('"quoted"', STRING_SCHEMA, '"quoted"'),
        ("TRUE", STRING_SCHEMA, "TRUE"),
        ("{a:1}", STRING_SCHEMA, "{a:1}"),
        (" 7 ", INT8_SCHEMA, 7),
        ("2021-05-06", logical.DATE_SCHEMA, dt.date(2021, 5, 6)),
        ("99999999999999999999", logical.decimal_schema(0), decimal.Decimal("99999999999999999999")),
        ("null", None, None),
    ],
)
def test_insert_header_types_the_literal(literal: str, schema: Any, value: Any) -> None:
    out = configured(InsertHeader, {"header": "h", "value.literal": literal}).apply(sink("v"))
    assert list(out.headers) == [Header("h", value, schema)]


def test_insert_header_array_literal() -> None:
    header = (
        configured(InsertHeader, {"header": "h", "value.literal": "[1, 2, 3]"})
        .apply(sink("v"))
        .headers.last_with_name("h")
    )
    assert (header.value, header.schema.type, header.schema.value_schema) == ([1, 2, 3], Type.ARRAY, INT8_SCHEMA)


def test_insert_header_map_literal() -> None:
    # Kafka 4.1.1 reads a map's keys as embedded values, so they must be quoted: {a: 1} stays a string.
    smt = configured(InsertHeader, {"header": "h", "value.literal": '{"a": 1, "b": 2}'})
    header = smt.apply(sink("v")).headers.last_with_name("h")
    assert (header.value, header.schema.type, header.schema.key_schema) == ({"a": 1, "b": 2}, Type.MAP, STRING_SCHEMA)


def test_insert_header_appends_even_when_name_exists() -> None:
    out = configured(InsertHeader, {"header": "h", "value.literal": "b"}).apply(
        sink("v", headers=Headers.of({"h": "a"}))
    )
    assert [h.value for h in out.headers.all_with_name("h")] == ["a", "b"]


def test_insert_header_requires_both_keys() -> None:
    with pytest.raises(ConfigError, match='Missing required configuration "value.literal"'):
        configured(InsertHeader, {"header": "h"})


def test_drop_headers_removes_all_with_listed_names() -> None:
    headers = Headers.of([("a", 1), ("b", 2), ("a", 3), ("c", 4)])
    out = configured(DropHeaders, {"headers": "a,c"}).apply(sink("v", headers=headers))
    assert ([(h.key, h.value) for h in out.headers], out.value) == ([("b", 2)], "v")


def test_drop_headers_needs_names() -> None:
    with pytest.raises(ConfigError, match="Empty list"):
        configured(DropHeaders, {"headers": ""})
