"""Kafka Connect's `Values.parseString`: a header's text back into a typed value with an inferred schema.

A port of the Kafka 4.x parser, quirks included, so a header reads exactly as a Kafka Connect worker reads it:
`true`/`false`/`null` literals, the narrowest integer type (int8..int64, then Decimal), float32 when a fraction
fits it (else float64), ISO-8601 dates `2024-01-31`, times `10:15:30.123Z` and timestamps
`2024-01-31T10:15:30.123Z`, `[...]` arrays and `{k:v}` maps whose elements merge into a common schema, and
quoted strings inside them. Anything else at the top level is the whole original string.

Deviations: a lenient date whose fields overflow Python's calendar (or a time beyond one day) stays a string;
dates before 1582 use the proleptic Gregorian calendar (Java's is Julian there); map keys that are arrays
become tuples so they can be dict keys.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import Any

from connectless.data import logical
from connectless.data.errors import DataError
from connectless.data.schema import (
    BOOLEAN_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    STRING_SCHEMA,
    Schema,
    SchemaBuilder,
    Type,
)
from connectless.data.schema_and_value import NULL_SCHEMA_AND_VALUE, SchemaAndValue
from connectless.data.values_convert import (
    DAY_MS,
    convert_to,
    date_from_days,
    decimal_to_float32,
    java_big_decimal,
    time_from_millis,
    timestamp_from_millis,
)

# A token is a run of non-delimiters (a backslash escapes the next character) or a single delimiter.
_TOKEN = re.compile(r'(?:[^\\:,{}\[\]"]|\\[\s\S]?)+|[:,{}\[\]"]')
_JAVA_BLANK = "".join(chr(code) for code in range(33))  # String#trim strips every char <= U+0020
_TRUE = SchemaAndValue(BOOLEAN_SCHEMA, True)
_FALSE = SchemaAndValue(BOOLEAN_SCHEMA, False)
_BIGGER_THAN_LONG = decimal.Decimal("1e19")
_NARROWEST = ((INT8_SCHEMA, 2**7), (INT16_SCHEMA, 2**15), (INT32_SCHEMA, 2**31), (INT64_SCHEMA, 2**63))
_NUMERIC_RANK = {Type.INT8: 0, Type.INT16: 1, Type.INT32: 2, Type.INT64: 3, Type.FLOAT32: 4, Type.FLOAT64: 5}
# SimpleDateFormat patterns, leniently: each numeric field takes all its digits and may overflow into the next.
_DATE = re.compile(r"(\d+)-(\d+)-(\d+)", re.ASCII)
_TIME = re.compile(r"(\d+):(\d+):(\d+)\.(\d+)Z", re.ASCII)
_TIMESTAMP = re.compile(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z", re.ASCII)
_DATE_LENGTH, _TIME_LENGTH, _TIMESTAMP_LENGTH = 10, 13, 24


def parse_string(value: str | None) -> SchemaAndValue:
    """The schema and value `value` denotes; NULL_SCHEMA_AND_VALUE for None or the literal `null`."""
    if value is None:
        return NULL_SCHEMA_AND_VALUE
    if not value:
        return SchemaAndValue(STRING_SCHEMA, value)
    parsed = _ValueParser(value).parse(embedded=False)
    return NULL_SCHEMA_AND_VALUE if parsed is None else parsed


def _trim(text: str) -> str:
    return text.strip(_JAVA_BLANK)


class _Tokens:
    """Values.Parser over pre-split tokens: one token of look-ahead, marks and rewinds by token index."""

    __slots__ = ("count", "original", "peeked", "pos", "previous", "starts", "tokens")

    def __init__(self, original: str) -> None:
        matches = list(_TOKEN.finditer(original))
        self.original = original
        self.tokens = [m.group() for m in matches]
        self.starts = [m.start() for m in matches] + [len(original)]
        self.count = len(self.tokens)
        self.pos = 0  # next token the underlying iterator would read
        self.peeked: int | None = None
        self.previous: str | None = None

    def mark(self) -> int:
        return self.pos if self.peeked is None else self.peeked

    def rewind(self, mark: int) -> None:
        self.pos, self.peeked, self.previous = mark, None, None

    def position(self) -> int:
        return self.starts[self.pos]

    def has_next(self) -> bool:
        return self.peeked is not None or self.pos < self.count

    def next(self) -> str:
        if self.peeked is not None:
            index, self.peeked = self.peeked, None
        else:
            index = self.pos
            self.pos += 1
        self.previous = self.tokens[index]
        return self.previous

    def next_n(self, n: int) -> str | None:
        """The text of the next `n` tokens, or None (and no move) when there are fewer."""
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind(start)
                return None
            self.next()
        return self.original[self.starts[start] : self.position()]

    def can_consume(self, expected: str) -> bool:
        """Consume the next non-blank token when, trimmed, it is `expected` (blank tokens are skipped)."""
        if self.peeked is None:
            if self.pos >= self.count:
                return False
            self.peeked = self.pos
            self.pos += 1
        while not _trim(self.tokens[self.peeked]) and self.pos < self.count:
            self.peeked = self.pos
            self.pos += 1
        if _trim(self.tokens[self.peeked]) == expected:
            self.peeked = None
            return True
        return False


class _SchemaMerger:
    """The one schema every element fits: numbers widen (int8 < ... < float64), anything else must agree."""

    __slots__ = ("common", "compatible")

    def __init__(self) -> None:
        self.common: Schema | None = None
        self.compatible = True

    def merge(self, latest: SchemaAndValue | None) -> None:
        if latest is None or latest.schema is None or not self.compatible:
            return
        if self.common is None:
            self.common = latest.schema
        else:
            self.common = _merge_schemas(self.common, latest.schema)
            self.compatible = self.common is not None


def _merge_schemas(previous: Schema, latest: Schema) -> Schema | None:
    if previous.type is not latest.type:
        old, new = _NUMERIC_RANK.get(previous.type), _NUMERIC_RANK.get(latest.type)
        if old is None or new is None:
            return None
        return previous if old > new else latest
    if previous.optional == latest.optional:
        return previous if previous.optional else latest
    return previous if previous == latest else None


class _ValueParser:
    __slots__ = ("tokens",)

    def __init__(self, original: str) -> None:
        self.tokens = _Tokens(original)

    def _single_literal(self, embedded: bool, literal: str) -> bool:
        # At the top level a literal must be all there is: "true}" is the string "true}".
        tokens = self.tokens
        start = tokens.mark()
        if tokens.can_consume(literal) and (embedded or not tokens.has_next()):
            return True
        tokens.rewind(start)
        return False

    def parse(self, embedded: bool) -> SchemaAndValue | None:
        tokens = self.tokens
        if not tokens.has_next():
            return None
        if embedded and tokens.can_consume('"'):
            return self._quoted()
        if self._single_literal(embedded, "null"):
            return None
        if self._single_literal(embedded, "true"):
            return _TRUE
        if self._single_literal(embedded, "false"):
            return _FALSE
        start = tokens.mark()
        try:
            if tokens.can_consume("["):
                return self._array()
            if tokens.can_consume("{"):
                return self._map()
        except DataError:
            tokens.rewind(start)  # not a well-formed array or map: read it as text
        token = tokens.next()
        if not _trim(token):
            return SchemaAndValue(STRING_SCHEMA, token)
        return self._scalar(embedded, _trim(token))

    def _scalar(self, embedded: bool, token: str) -> SchemaAndValue:
        first = token[0]
        if first.isdecimal():
            temporal = self._temporal_tokens(token)
            if temporal is not None:
                return temporal
        if first.isdecimal() or first in "+-":
            number = _parse_number(token)
            if number is not None:
                return number
        if embedded:
            raise DataError("Failed to parse embedded value")
        return SchemaAndValue(STRING_SCHEMA, self.tokens.original)

    def _temporal_tokens(self, token: str) -> SchemaAndValue | None:
        # Unescaped colons split a time into five tokens: try them together first.
        tokens = self.tokens
        start = tokens.mark()
        remainder = tokens.next_n(4)
        if remainder is not None:
            temporal = _parse_temporal(token + remainder)
            if temporal is not None:
                return temporal
        tokens.rewind(start)
        return _parse_temporal(token)

    def _quoted(self) -> SchemaAndValue:
        tokens, parts = self.tokens, []
        while tokens.has_next():
            if tokens.can_consume('"'):
                break
            parts.append(tokens.next())
        content = "".join(parts)
        return _parse_temporal(content) or SchemaAndValue(STRING_SCHEMA, content)

    def _array(self) -> SchemaAndValue:
        tokens, original = self.tokens, self.tokens.original
        result: list[Any] = []
        merger = _SchemaMerger()
        while tokens.has_next():
            if tokens.can_consume("]"):
                common = merger.common
                if common is None:  # no element had a schema: every one is null
                    return SchemaAndValue(Schema(type=Type.ARRAY), result)
                aligned = [convert_to(common, None, item) for item in result]
                return SchemaAndValue(SchemaBuilder.array(common).build(), aligned)
            if tokens.can_consume(","):
                raise DataError(f"Unable to parse an empty array element: {original}")
            element = self.parse(embedded=True)
            merger.merge(element)
            result.append(None if element is None else element.value)
            mark = tokens.mark()
            if tokens.can_consume("]"):
                tokens.rewind(mark)
            elif not tokens.can_consume(","):
                raise DataError("Array elements missing ',' delimiter")
        if tokens.previous == ",":
            raise DataError(f"Array is missing element after ',': {original}")
        raise DataError(f"Array is missing terminating ']': {original}")

    def _map(self) -> SchemaAndValue:
        tokens, original = self.tokens, self.tokens.original
        result: dict[Any, Any] = {}
        keys, values = _SchemaMerger(), _SchemaMerger()
        while tokens.has_next():
            if tokens.can_consume("}"):
                return _map_result(result, keys.common, values.common)
            if tokens.can_consume(","):
                raise DataError(f"Unable to parse a map entry with no key or value: {original}")
            key = self.parse(embedded=True)
            if key is None or key.value is None:
                raise DataError(f"Map entry may not have a null key: {original}")
            if not tokens.can_consume(":"):
                raise DataError(f"Map entry is missing ':' at {tokens.position()} in {original}")
            value = self.parse(embedded=True)
            result[_hashable(key.value)] = None if value is None else value.value
            tokens.can_consume(",")  # commas between entries are optional
            keys.merge(key)
            values.merge(value)
        if tokens.previous == ",":
            raise DataError(f"Map is missing element after ',': {original}")
        raise DataError(f"Map is missing terminating '}}': {original}")


def _map_result(result: dict[Any, Any], key_schema: Schema | None, value_schema: Schema | None) -> SchemaAndValue:
    if key_schema is None:
        return SchemaAndValue(Schema(type=Type.MAP), result)
    if value_schema is None:
        aligned = {_hashable(convert_to(key_schema, None, k)): v for k, v in result.items()}
        return SchemaAndValue(Schema(type=Type.MAP, key_schema=key_schema), aligned)
    aligned = {_hashable(convert_to(key_schema, None, k)): convert_to(value_schema, None, v) for k, v in result.items()}
    return SchemaAndValue(SchemaBuilder.map(key_schema, value_schema).build(), aligned)


def _hashable(key: Any) -> Any:
    if isinstance(key, list | tuple):
        return tuple(_hashable(item) for item in key)
    if isinstance(key, dict):
        raise DataError("A map cannot be the key of a map here")
    return key


def _parse_number(token: str) -> SchemaAndValue | None:
    number = java_big_decimal(token)
    if number is None:
        return None
    if number.is_zero():
        number = number.copy_abs()  # a BigDecimal has no negative zero: "-0.0" reads as 0.0
    exact = _exact_integer(number)
    if exact is not None:
        return exact
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent != 0:  # a fraction (or an exponent): float32 when in range, else float64
        as_double = float(number)
        single = decimal_to_float32(number)
        if not math.isinf(single):
            return SchemaAndValue(FLOAT32_SCHEMA, single)
        if not math.isinf(as_double):
            return SchemaAndValue(FLOAT64_SCHEMA, as_double)
    return SchemaAndValue(logical.decimal_schema(-exponent), number)


def _exact_integer(number: decimal.Decimal) -> SchemaAndValue | None:
    magnitude = abs(number)
    if magnitude > _BIGGER_THAN_LONG or (magnitude < 1 and magnitude != 0):
        return None
    if number != number.to_integral_value():
        return None
    integral = int(number)
    for schema, bound in _NARROWEST:
        if -bound <= integral < bound:
            return SchemaAndValue(schema, integral)
    return None


def _parse_temporal(token: str) -> SchemaAndValue | None:
    token = token.replace("\\:", ":")
    length = len(token)
    try:
        if length == _TIME_LENGTH and (match := _TIME.match(token)):
            millis = _time_millis(*match.groups())
            return SchemaAndValue(logical.TIME_SCHEMA, time_from_millis(millis)) if millis < DAY_MS else None
        if length == _TIMESTAMP_LENGTH and (match := _TIMESTAMP.match(token)):
            days = _lenient_days(*match.groups()[:3])
            millis = days * DAY_MS + _time_millis(*match.groups()[3:])
            return SchemaAndValue(logical.TIMESTAMP_SCHEMA, timestamp_from_millis(millis))
        if length == _DATE_LENGTH and (match := _DATE.match(token)):
            return SchemaAndValue(logical.DATE_SCHEMA, date_from_days(_lenient_days(*match.groups())))
    except (ValueError, OverflowError, DataError):
        return None
    return None


def _lenient_days(year: str, month: str, day: str) -> int:
    """Days since the epoch of year-month-day where month and day may overflow (SimpleDateFormat's leniency)."""
    months = int(month) - 1
    first = dt.date(int(year) + months // 12, months % 12 + 1, 1)
    return (first - logical.EPOCH_DATE).days + int(day) - 1


def _time_millis(hours: str, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)
