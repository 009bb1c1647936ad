"""JsonConverter against Kafka Connect 4.x behaviour: envelopes byte for byte, types, logical types, errors."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any

import orjson
import pytest

from connectless.config import ConfigError
from connectless.converters import JsonConverter
from connectless.data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    DataError,
    Schema,
    SchemaBuilder,
    Struct,
    logical,
)
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue

TOPIC = "topic"
UTC = dt.UTC


def converter(**props: Any) -> JsonConverter:
    conv = JsonConverter()
    conv.configure({k.replace("_", "."): v for k, v in props.items()}, is_key=False)
    return conv


def read(data: bytes | str | None, **props: Any) -> SchemaAndValue:
    raw = data.encode() if isinstance(data, str) else data
    return converter(**props).to_connect_data(TOPIC, raw)


def write(schema: Schema | None, value: Any, **props: Any) -> bytes | None:
    return converter(**props).from_connect_data(TOPIC, schema, value)


def envelope(schema: str, payload: str) -> str:
    return '{"schema":' + schema + ',"payload":' + payload + "}"


USER = (
    SchemaBuilder.struct()
    .name("com.example.User")
    .field("id", INT32_SCHEMA)
    .field("name", OPTIONAL_STRING_SCHEMA)
    .build()
)
USER_JSON = (
    '{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},'
    '{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"com.example.User"}'
)


# -- bytes -> Connect, with schemas -------------------------------------------------------------
READ_CASES = [
    ('{ "schema": { "type": "boolean" }, "payload": true }', BOOLEAN_SCHEMA, True),
    ('{ "schema": { "type": "boolean", "optional": true }, "payload": null }', OPTIONAL_BOOLEAN_SCHEMA, None),
    ('{"schema":{"type":"int8"},"payload":12}', INT8_SCHEMA, 12),
    ('{"schema":{"type":"int16"},"payload":-300}', INT16_SCHEMA, -300),
    ('{"schema":{"type":"int32"},"payload":70000}', INT32_SCHEMA, 70000),
    ('{"schema":{"type":"int64"},"payload":4398046511104}', INT64_SCHEMA, 4398046511104),
    ('{"schema":{"type":"int64"},"payload":9223372036854775807}', INT64_SCHEMA, 2**63 - 1),
    ('{"schema":{"type":"double"},"payload":12.34}', FLOAT64_SCHEMA, 12.34),
    ('{"schema":{"type":"double"},"payload":1.0E10}', FLOAT64_SCHEMA, 1e10),
    ('{"schema":{"type":"string"},"payload":"foo-bar-baz"}', STRING_SCHEMA, "foo-bar-baz"),
    ('{"schema":{"type":"bytes"},"payload":"dGVzdC1zdHJpbmc="}', BYTES_SCHEMA, b"test-string"),
    (
        '{"schema":{"type":"array","items":{"type":"int32"}},"payload":[1,2,3]}',
        SchemaBuilder.array(INT32_SCHEMA).build(),
        [1, 2, 3],
    ),
    (
        '{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int32"}},"payload":{"k1":12,"k2":15}}',
        SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build(),
        {"k1": 12, "k2": 15},
    ),
    (
        '{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":[[1,12],[2,15]]}',
        SchemaBuilder.map(INT32_SCHEMA, INT32_SCHEMA).build(),
        {1: 12, 2: 15},
    ),
    ('{"schema":null,"payload":null}', None, None),
    ('{"schema":null,"payload":true}', None, True),
    ('{"schema":null,"payload":12}', None, 12),
    ('{"schema":null,"payload":12.24}', None, 12.24),
    ('{"schema":null,"payload":[1,"2",3]}', None, [1, "2", 3]),
    ('{"schema":null,"payload":{"field1":1,"field2":2}}', None, {"field1": 1, "field2": 2}),
    # narrowing as Jackson's intValue/(byte): wraps; fractions truncate; non-numbers read 0
    ('{"schema":{"type":"int8"},"payload":300}', INT8_SCHEMA, 44),
    ('{"schema":{"type":"int32"},"payload":3.99}', INT32_SCHEMA, 3),
    ('{"schema":{"type":"int32"},"payload":-3.99}', INT32_SCHEMA, -3),
    ('{"schema":{"type":"int64"},"payload":9223372036854775808}', INT64_SCHEMA, -(2**63)),
    ('{"schema":{"type":"int32"},"payload":"12"}', INT32_SCHEMA, 0),
    ('{"schema":{"type":"boolean"},"payload":1}', BOOLEAN_SCHEMA, False),
    ('{"schema":{"type":"string"},"payload":12}', STRING_SCHEMA, None),
    (
        '{"schema":{"type":"array","items":{"type":"int32"}},"payload":{"a":1}}',
        SchemaBuilder.array(INT32_SCHEMA).build(),
        [1],
    ),
]


@pytest.mark.parametrize(("data", "schema", "value"), READ_CASES, ids=[c[0][:60] for c in READ_CASES])
def test_reads_envelope(data: str, schema: Schema | None, value: Any) -> None:
    assert read(data) == SchemaAndValue(schema, value)


def test_reads_float32_as_single_precision() -> None:
    converted = read('{"schema":{"type":"float"},"payload":12.34}')
    assert converted.schema == FLOAT32_SCHEMA
    assert converted.value == 12.34000015258789


def test_reads_schema_metadata() -> None:
    data = (
        '{"schema":{"type":"boolean","optional":false,"name":"bool","version":2,"doc":"the documentation",'
        '"parameters":{"foo":"bar"}},"payload":true}'
    )
    expected = SchemaBuilder.boolean().name("bool").version(2).doc("the documentation").parameter("foo", "bar")
    assert read(data) == SchemaAndValue(expected.build(), True)


def test_reads_struct_with_missing_optional_field() -> None:
    data = envelope(USER_JSON, '{"id":7}')
    assert read(data) == SchemaAndValue(USER, Struct(USER).put("id", 7))


def test_reads_struct_ignoring_unknown_fields() -> None:
    assert read(envelope(USER_JSON, '{"id":7,"name":"x","extra":1}')).value == Struct(USER).put("id", 7).put(
        "name", "x"
    )


def test_null_in_required_struct_field_is_an_error() -> None:
    with pytest.raises(DataError, match="Invalid null value for required INT32 field"):
        read(envelope(USER_JSON, '{"name":"x"}'))


def test_non_text_in_required_string_field_fails_struct_validation() -> None:
    schema_json = '{"type":"struct","fields":[{"type":"string","field":"s"}]}'
    with pytest.raises(DataError, match='null used for required field: "s", schema type: STRING'):
        read(envelope(schema_json, '{"s":5}'))


def test_reads_default_for_null_payload() -> None:
    expected = SchemaBuilder.boolean().default_value(True).build()
    assert read('{"schema":{"type":"boolean","default":true},"payload":null}') == SchemaAndValue(expected, True)


def test_replace_null_with_default_false_keeps_optional_null() -> None:
    data = '{"schema":{"type":"int32","optional":true,"default":42},"payload":null}'
    assert read(data).value == 42
    assert read(data, replace_null_with_default="false").value is None


def test_replace_null_with_default_false_rejects_required_null() -> None:
    with pytest.raises(DataError, match="Invalid null value for required INT32 field"):
        read('{"schema":{"type":"int32","default":42},"payload":null}', replace_null_with_default="false")


# -- logical types ------------------------------------------------------------------------------
DECIMAL_2 = logical.decimal_schema(2)
DECIMAL_2_JSON = (
    '{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,'
    '"parameters":{"scale":"2"}}'
)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ('"AJw="', decimal.Decimal("1.56")),  # bytes [0, -100]: unscaled 156
        ("1.56", decimal.Decimal("1.56")),
        ("1.5600", decimal.Decimal("1.5600")),  # NUMERIC keeps the text's scale, as BigDecimal does
        ("2", decimal.Decimal("2")),
        ("1.23456789012345678901234567890", decimal.Decimal("1.23456789012345678901234567890")),
        ("-1E+3", decimal.Decimal("-1E+3")),
    ],
)
def test_reads_decimal(payload: str, expected: decimal.Decimal) -> None:
    converted = read(envelope(DECIMAL_2_JSON, payload))
    assert converted.schema == DECIMAL_2
    assert str(converted.value) == str(expected)


def test_reads_decimal_exactly_inside_struct() -> None:
    schema_json = '{"type":"struct","fields":[{"type":"double","field":"d"},' + DECIMAL_2_JSON[:-1] + ',"field":"x"}]}'
    converted = read(envelope(schema_json, '{"d":0.1,"x":12345678901234567.89}'))
    assert converted.value.get("x") == decimal.Decimal("12345678901234567.89")
    assert converted.value.get("d") == 0.1


def test_reads_decimal_default() -> None:
    data = envelope(DECIMAL_2_JSON[:-1] + ',"optional":true,"default":"AJw="}', "null")
    assert read(data).value == decimal.Decimal("1.56")


@pytest.mark.parametrize(
    ("schema_json", "payload", "expected"),
    [
        ('{"type":"int32","name":"org.apache.kafka.connect.data.Date","version":1}', "10000", dt.date(1997, 5, 19)),
        ('{"type":"int32","name":"org.apache.kafka.connect.data.Time","version":1}', "14400000", dt.time(4, 0)),
        (
            '{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1}',
            "4000000000",
            dt.datetime(1970, 2, 16, 7, 6, 40, tzinfo=UTC),
        ),
        (
            '{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","version":1,"optional":true,'
            '"default":42}',
            "null",
            dt.datetime(1970, 1, 1, 0, 0, 0, 42000, tzinfo=UTC),
        ),
    ],
)
def test_reads_temporal(schema_json: str, payload: str, expected: Any) -> None:
    assert read(envelope(schema_json, payload)).value == expected


@pytest.mark.parametrize(
    ("schema_json", "payload", "message"),
    [
        (DECIMAL_2_JSON, "true", "underlying representation should be numeric or bytes but was BOOLEAN"),
        (DECIMAL_2_JSON, '"not base64!"', "Invalid bytes for Decimal field"),
        ('{"type":"int32","name":"org.apache.kafka.connect.data.Date"}', "1.5", "should be integer but was NUMBER"),
        ('{"type":"int32","name":"org.apache.kafka.connect.data.Time"}', '"x"', "should be integer but was STRING"),
        ('{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}', "1.5", "should be integral"),
        ('{"type":"bytes"}', '"***"', "Invalid bytes field"),
    ],
)
def test_rejects_bad_logical_payload(schema_json: str, payload: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read(envelope(schema_json, payload))


# -- envelope and schema errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"a":1}', "JsonConverter with schemas.enable requires"),
        ('{"schema":null,"payload":1,"extra":2}', "may not contain additional fields"),
        ("[1,2]", "set schemas.enable=false"),
        ("", "JsonConverter with schemas.enable requires"),
        ("{not json", "Converting byte\\[\\] to Kafka Connect data failed due to serialization error: "),
        ('{"schema":{"optional":true},"payload":1}', "Schema must contain 'type' field"),
        ('{"schema":{"type":"int128"},"payload":1}', "Unknown schema type: int128"),
        ('{"schema":{"type":"array"},"payload":[]}', "Array schema did not specify the element type"),
        ('{"schema":{"type":"map","values":{"type":"int8"}},"payload":{}}', "Map schema did not specify the key type"),
        ('{"schema":{"type":"map","keys":{"type":"int8"}},"payload":[]}', "Map schema did not specify the value type"),
        ('{"schema":{"type":"struct","fields":3},"payload":{}}', 'Struct schema\'s "fields" argument is not an array'),
        ('{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}', "field name not specified properly"),
        ('{"schema":{"type":"int8","parameters":{"a":1}},"payload":1}', "Schema parameters must have string values"),
        ('{"schema":{"type":"struct","fields":[]},"payload":[]}', "Structs should be encoded as JSON objects"),
        (
            '{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int8"}},"payload":[]}',
            "Maps with string fields should be encoded as JSON objects, but found ARRAY",
        ),
        (
            '{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":{}}',
            "Maps with non-string fields should be encoded as JSON array of tuples, but found OBJECT",
        ),
        (
            '{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[[1]]}',
            "expected length 2 but found :1",
        ),
        (
            '{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[3]}',
            "Found invalid map entry instead of array tuple: NUMBER",
        ),
    ],
)
def test_rejects_malformed_input(data: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read(data)


def test_tombstone_reads_as_null() -> None:
    assert read(None) is NULL_SCHEMA_AND_VALUE
    assert read(None, schemas_enable="false") is NULL_SCHEMA_AND_VALUE


def test_schema_cache_reuses_decoded_schema() -> None:
    conv = converter()
    first = conv.to_connect_data(TOPIC, envelope(USER_JSON, '{"id":1}').encode())
    second = conv.to_connect_data(TOPIC, envelope(USER_JSON, '{"id":2}').encode())
    assert first.schema is second.schema
    assert second.value.get("id") == 2


def test_schema_cache_tells_apart_schemas_sharing_a_prefix() -> None:
    conv = converter()
    a = conv.to_connect_data(TOPIC, b'{"schema":{"type":"int32"},"payload":1}')
    b = conv.to_connect_data(TOPIC, b'{"schema":{"type":"int32","optional":true},"payload":null}')
    assert (a.schema, b.schema) == (INT32_SCHEMA, OPTIONAL_INT32_SCHEMA)


def test_schema_whose_parameters_contain_payload_key() -> None:
    schema_json = '{"type":"string","parameters":{"a":"b","payload":"c"}}'
    conv = converter()
    for _ in range(2):
        converted = conv.to_connect_data(TOPIC, envelope(schema_json, '"v"').encode())
        assert converted.value == "v"
        assert converted.schema is not None and converted.schema.parameters == {"a": "b", "payload": "c"}


def test_whitespace_envelope_from_other_producers() -> None:
    assert read('  { "payload" : 5 , "schema" : { "type" : "int8" } }  ') == SchemaAndValue(INT8_SCHEMA, 5)


# -- schemas.enable=false -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "value"),
    [
        ("true", True),
        ("12", 12),
        ("12.5", 12.5),
        ('"s"', "s"),
        ('{"a":"","b":null}', {"a": "", "b": None}),
        ("[1,[2,{}]]", [1, [2, {}]]),
        ("", None),
        ("  ", None),
        ("1 trailing", 1),  # Jackson's readTree stops after the first value
        ("-9223372036854775808", -(2**63)),
    ],
)
def test_reads_schemaless(data: str, value: Any) -> None:
    assert read(data, schemas_enable="false") == SchemaAndValue(None, value)


def test_schemaless_rejects_bad_json() -> None:
    with pytest.raises(DataError, match="serialization error"):
        read("{", schemas_enable="false")


# -- Connect -> bytes: byte-exact envelopes ------------------------------------------------------
WRITE_CASES = [
    (INT32_SCHEMA, 42, '{"type":"int32","optional":false}', "42"),
    (OPTIONAL_BOOLEAN_SCHEMA, None, '{"type":"boolean","optional":true}', "null"),
    (
        SchemaBuilder.boolean().default_value(True).build(),
        True,
        '{"type":"boolean","optional":false,"default":true}',
        "true",
    ),
    (INT8_SCHEMA, -12, '{"type":"int8","optional":false}', "-12"),
    (INT64_SCHEMA, 2**63 - 1, '{"type":"int64","optional":false}', "9223372036854775807"),
    (FLOAT64_SCHEMA, 12.34, '{"type":"double","optional":false}', "12.34"),
    (FLOAT64_SCHEMA, 1e10, '{"type":"double","optional":false}', "1.0E10"),
    (FLOAT64_SCHEMA, 1.0, '{"type":"double","optional":false}', "1.0"),
    (FLOAT64_SCHEMA, 0.0001, '{"type":"double","optional":false}', "1.0E-4"),
    (FLOAT64_SCHEMA, float("nan"), '{"type":"double","optional":false}', '"NaN"'),
    (FLOAT64_SCHEMA, float("-inf"), '{"type":"double","optional":false}', '"-Infinity"'),
    (FLOAT32_SCHEMA, 12.34, '{"type":"float","optional":false}', "12.34"),
    (FLOAT32_SCHEMA, 3.4028234663852886e38, '{"type":"float","optional":false}', "3.4028235E38"),
    (STRING_SCHEMA, "a\x01\x1fé\n", '{"type":"string","optional":false}', '"a\\u0001\\u001Fé\\n"'),
    (BYTES_SCHEMA, b"test-string", '{"type":"bytes","optional":false}', '"dGVzdC1zdHJpbmc="'),
    (
        SchemaBuilder.array(INT32_SCHEMA).build(),
        [1, 2, 3],
        '{"type":"array","items":{"type":"int32","optional":false},"optional":false}',
        "[1,2,3]",
    ),
    (
        SchemaBuilder.map(STRING_SCHEMA, INT32_SCHEMA).build(),
        {"k": 1},
        '{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},'
        '"optional":false}',
        '{"k":1}',
    ),
    (
        SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build(),
        {1: "a", 2: "b"},
        '{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},'
        '"optional":false}',
        '[[1,"a"],[2,"b"]]',
    ),
    (USER, Struct(USER).put("id", 1).put("name", "x"), USER_JSON, '{"id":1,"name":"x"}'),
    (DECIMAL_2, decimal.Decimal("1.56"), DECIMAL_2_JSON, '"AJw="'),
    (
        logical.DATE_SCHEMA,
        dt.date(1997, 5, 19),
        '{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}',
        "10000",
    ),
    (
        logical.TIME_SCHEMA,
        dt.time(4, 0),
        '{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1}',
        "14400000",
    ),
    (
        logical.TIMESTAMP_SCHEMA,
        dt.datetime(1970, 2, 16, 7, 6, 40, tzinfo=UTC),
        '{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1}',
        "4000000000",
    ),
    (
        SchemaBuilder.boolean().name("bool").version(3).doc("the documentation").parameter("foo", "bar").build(),
        True,
        '{"type":"boolean","optional":false,"name":"bool","version":3,"doc":"the documentation",'
        '"parameters":{"foo":"bar"}}',
        "true",
    ),
]


@pytest.mark.parametrize(("schema", "value", "schema_json", "payload"), WRITE_CASES)
def test_writes_envelope_byte_exact(schema: Schema, value: Any, schema_json: str, payload: str) -> None:
    assert write(schema, value) == envelope(schema_json, payload).encode()
    assert write(schema, value, schemas_enable="false") == payload.encode()


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (decimal.Decimal("1.56"), "1.56"),
        (decimal.Decimal("-0.00"), "0.00"),
        (decimal.Decimal("1.2E-9"), "1.2E-9"),
    ],
)
def test_writes_numeric_decimals(value: decimal.Decimal, payload: str) -> None:
    schema = logical.decimal_schema(-value.as_tuple().exponent)  # type: ignore[operator]
    assert write(schema, value, schemas_enable="false", decimal_format="numeric") == payload.encode()


def test_writes_default_for_null_and_schema_default() -> None:
    schema = SchemaBuilder.int32().optional().default_value(42).build()
    expected = envelope('{"type":"int32","optional":true,"default":42}', "42").encode()
    assert write(schema, None) == expected
    without = envelope('{"type":"int32","optional":true,"default":42}', "null").encode()
    assert write(schema, None, replace_null_with_default="false") == without


def test_struct_field_null_with_default() -> None:
    schema = SchemaBuilder.struct().field("n", SchemaBuilder.int32().optional().default_value(7).build()).build()
    value = Struct(schema)
    assert write(schema, value, schemas_enable="false") == b'{"n":7}'
    assert write(schema, value, schemas_enable="false", replace_null_with_default="false") == b'{"n":null}'


def test_null_schema_and_value_writes_nothing() -> None:
    assert write(None, None) is None
    assert write(None, None, schemas_enable="false") is None


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (True, "true"),
        ([1, "2", 3], '[1,"2",3]'),
        ({"string": 12, 52: "string", False: True}, '[["string",12],[52,"string"],[false,true]]'),
        ({"a": b"xy"}, '{"a":"eHk="}'),
    ],
)
def test_writes_schemaless(value: Any, payload: str) -> None:
    assert write(None, value) == envelope("null", payload).encode()
    assert write(None, value, schemas_enable="false") == payload.encode()


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        (FLOAT64_SCHEMA, True, "Invalid type for FLOAT64: bool"),
        (INT32_SCHEMA, 2**31, "Invalid type for INT32: int"),
        (INT32_SCHEMA, None, "null value for field that is required and has no default value"),
        (STRING_SCHEMA, 1, "Invalid type for STRING: int"),
        (USER, Struct(SchemaBuilder.struct().field("id", INT32_SCHEMA).build()).put("id", 1), "Mismatching schema."),
        (None, Struct(USER).put("id", 1), "Mismatching schema."),
        (None, decimal.Decimal("1"), "Decimal does not have corresponding schema type"),
        (None, {"t": dt.date(2020, 1, 1)}, "date does not have corresponding schema type"),
        (DECIMAL_2, decimal.Decimal("1.5"), "scale"),
        (DECIMAL_2, 1.5, "Invalid type for Decimal"),
        (logical.DATE_SCHEMA, dt.datetime(2020, 1, 1, 1, tzinfo=UTC), "should not have any time fields"),
        (logical.TIMESTAMP_SCHEMA, dt.date(2020, 1, 1), "Invalid type for Timestamp"),
    ],
)
def test_write_errors(schema: Schema | None, value: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        write(schema, value)


def test_only_real_control_escapes_are_upper_cased() -> None:
    # "\\u001f" in a string is a backslash then the text u001f: no escape to touch
    assert write(STRING_SCHEMA, "\\u001f\x1f", schemas_enable="false") == b'"\\\\u001f\\u001F"'


def test_float32_zero_keeps_its_sign() -> None:
    assert write(FLOAT32_SCHEMA, -0.0, schemas_enable="false") == b"-0.0"
    assert write(FLOAT32_SCHEMA, 0.0, schemas_enable="false") == b"0.0"


def test_struct_of_equal_schema_is_accepted() -> None:
    twin = (
        SchemaBuilder.struct().name("com.example.User").field("id", INT32_SCHEMA).field("name", OPTIONAL_STRING_SCHEMA)
    )
    assert write(USER, Struct(twin.build()).put("id", 3), schemas_enable="false") == b'{"id":3,"name":null}'


def test_decode_then_encode_reproduces_kafka_bytes() -> None:
    conv = converter()
    original = envelope(USER_JSON, '{"id":1,"name":"x"}').encode()
    assert conv.from_connect_data(TOPIC, *conv.to_connect_data(TOPIC, original)) == original


# -- configuration ------------------------------------------------------------------------------
def test_config_defaults_match_kafka() -> None:
    keys = JsonConverter.CONFIG_DEF.keys
    assert keys["schemas.enable"].default is True
    assert keys["schemas.cache.size"].default == 1000
    assert keys["decimal.format"].default == "BASE64"
    assert keys["replace.null.with.default"].default is True


def test_rejects_unknown_decimal_format() -> None:
    with pytest.raises(ConfigError, match="decimal.format"):
        converter(decimal_format="hex")


def test_schema_content_reads_bare_payload() -> None:
    conv = converter(schema_content=USER_JSON)
    assert conv.to_connect_data(TOPIC, b'{"id":9}') == SchemaAndValue(USER, Struct(USER).put("id", 9))


def test_invalid_schema_content_names_the_key() -> None:
    with pytest.raises(ConfigError, match="schema.content"):
        converter(schema_content='{"type":"nope"}')


def test_works_as_header_converter() -> None:
    conv = JsonConverter()
    conv.configure({"schemas.enable": "false"})
    assert conv.from_connect_header(TOPIC, "h", INT8_SCHEMA, 5) == b"5"
    assert conv.to_connect_header(TOPIC, "h", b"[1]") == SchemaAndValue(None, [1])


def test_schemas_cache_size_zero_still_converts() -> None:
    conv = converter(schemas_cache_size="0")
    for payload in (1, 2):
        data = envelope('{"type":"int8"}', str(payload)).encode()
        assert conv.to_connect_data(TOPIC, data).value == payload


def test_output_is_valid_json_with_expected_bytes_payload() -> None:
    data = write(BYTES_SCHEMA, bytes(range(256)))
    assert data is not None
    assert base64.b64decode(orjson.loads(data)["payload"]) == bytes(range(256))


def test_encoding_cache_stays_bounded_with_fresh_equal_schemas() -> None:
    conv = converter(schemas_cache_size="2")
    for _ in range(50):
        twin = SchemaBuilder.struct().field("id", INT32_SCHEMA).build()
        assert conv.from_connect_data(TOPIC, twin, Struct(twin).put("id", 1)) is not None
    assert len(conv._encodings_by_id) <= 8
