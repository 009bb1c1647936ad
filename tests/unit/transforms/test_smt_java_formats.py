"""SimpleDateFormat patterns and Java regex replacement, as the SMTs read them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from connectless.transforms.java_date_format import JavaDateFormat
from connectless.transforms.java_regex import compile_java_regex, java_replacer

MILLIS = 1487499989345  # 2017-02-19T10:26:29.345Z, a Sunday


def millis(year: int, month: int, day: int) -> int:
    return int(dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-02-19T10:26:29.345+0000"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2017-02-19T10:26:29.345Z"),
        ("yyyyMMdd", "20170219"),
        ("yy/M/d h:mm a", "17/2/19 10:26 AM"),
        ("EEEE, MMMM d, yyyy G", "Sunday, February 19, 2017 AD"),
        ("EEE MMM dd", "Sun Feb 19"),
        ("D w W F u", "50 8 4 3 7"),
        ("k K", "10 10"),
        ("'o''clock' HH z", "o'clock 10 UTC"),
        ("''yyyy''", "'2017'"),
        ("S", "345"),
    ],
)
def test_format(pattern: str, text: str) -> None:
    assert JavaDateFormat(pattern).format(MILLIS) == text


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-02-19T10:26:29.345+0000", MILLIS),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2017-02-19T12:26:29.345+02:00", MILLIS),
        ("yyyyMMddHHmmssSSS", "20170219102629345", MILLIS),
        ("yyyy-MM-dd", "2017-02-19", millis(2017, 2, 19)),
        ("yyyy-MM-dd", "2017-02-19 trailing text ignored", millis(2017, 2, 19)),
        ("dd MMM yyyy", "19 feb 2017", millis(2017, 2, 19)),
        ("yyyy-MM-dd", "2017-13-01", millis(2018, 1, 1)),  # lenient rollover, as Java's default
        ("h:mm a", "12:30 AM", 30 * 60_000),
        ("h:mm a", "1:05 PM", (13 * 60 + 5) * 60_000),
    ],
)
def test_parse(pattern: str, text: str, expected: int) -> None:
    assert JavaDateFormat(pattern).parse(text) == expected


@pytest.mark.parametrize("text", ["2017/02/19", "", "x2017-02-19"])
def test_parse_failure(text: str) -> None:
    with pytest.raises(ValueError, match="Unparseable date"):
        JavaDateFormat("yyyy-MM-dd").parse(text)


@pytest.mark.parametrize("pattern", ["yyyy-qq", "'unterminated", "XXXX"])
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each pattern fails for its own reason
        JavaDateFormat(pattern)


def test_week_of_year_rolls_into_next_year() -> None:
    assert JavaDateFormat("w").format(millis(2016, 12, 31)) == "53"
    assert JavaDateFormat("w").format(millis(2019, 12, 30)) == "1"


@pytest.mark.parametrize(
    ("regex", "replacement", "text", "expected"),
    [
        ("(?<year>\\d{4})-(?<m>\\d\\d)", "${m}/${year}", "2017-02", "02/2017"),
        ("(?<w>a)\\k<w>", "x", "aa", "x"),
        ("(a)", "\\\\$1", "a", "\\a"),
    ],
)
def test_java_regex_and_replacement(regex: str, replacement: str, text: str, expected: str) -> None:
    pattern = compile_java_regex(regex)
    assert pattern.sub(java_replacer(replacement, pattern), text, count=1) == expected


def test_lookbehind_is_not_taken_for_a_named_group() -> None:
    assert compile_java_regex("(?<=a)b").pattern == "(?<=a)b"


@pytest.mark.parametrize(
    ("replacement", "message"), [("${nope}", "No group with name"), ("$x", "Illegal group"), ("\\", "escaped")]
)
def test_bad_replacements(replacement: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        java_replacer(replacement, re.compile("(a)"))
