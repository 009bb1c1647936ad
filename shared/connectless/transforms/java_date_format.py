"""`java.text.SimpleDateFormat` patterns (English locale, UTC) for TimestampConverter and TimestampRouter.

Users copy these patterns from their Kafka Connect configs, so they are interpreted as Java does:
letters are fields (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`), text in single quotes is literal and `''` is a
quote. Parsing is lenient like Java's default (out-of-range fields roll over, trailing text is
ignored); numeric fields directly followed by another numeric field are read at their pattern width.
Times are epoch milliseconds.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectless import native

if TYPE_CHECKING:
    from collections.abc import Callable

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FIRST_TEMPLATE_SECOND = -62135596800  # 0001-01-01: gmtime covers years 1..9999
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LETTERS = frozenset("GyYMLwWDdFEuaHkKhmsSzZX")
_TEXT_LETTERS = frozenset("GEaz")
_NUMERIC_LETTERS = frozenset("yYwWDdFuHkKhmsS")


@dataclass(frozen=True, slots=True)
class _Token:
    letter: str  # "" for literal text
    count: int
    text: str = ""

    def is_numeric(self) -> bool:
        return self.letter in _NUMERIC_LETTERS or (self.letter in ("M", "L") and self.count < 3)


def _tokenize(pattern: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                literal.append("'")
                i += 2
                continue
            end = i + 1
            while True:
                end = pattern.find("'", end)
                if end < 0:
                    raise ValueError(f"Unterminated quote in pattern {pattern!r}")
                if end + 1 < n and pattern[end + 1] == "'":  # '' inside quotes
                    literal.append(pattern[i + 1 : end] + "'")
                    i = end + 1
                    end += 2
                    continue
                literal.append(pattern[i + 1 : end])
                i = end + 1
                break
            continue
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            if ch not in _LETTERS:
                raise ValueError(f"Illegal pattern character '{ch}'")
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            if literal:
                tokens.append(_Token("", 0, "".join(literal)))
                literal = []
            if ch == "X" and j - i > 3:
                raise ValueError("invalid ISO 8601 format: length=" + str(j - i))
            tokens.append(_Token(ch, j - i))
            i = j
            continue
        literal.append(ch)
        i += 1
    if literal:
        tokens.append(_Token("", 0, "".join(literal)))
    return tuple(tokens)


def _week_of_year(moment: dt.datetime) -> int:
    # en-US rules: weeks start on Sunday and week 1 is the week holding January 1st, so the last days
    # of December can already belong to week 1 of the next year.
    week_start = moment - dt.timedelta(days=(moment.weekday() + 1) % 7)
    if (week_start + dt.timedelta(days=6)).year > moment.year:
        return 1
    jan1 = moment.replace(month=1, day=1)
    return (moment.timetuple().tm_yday - 1 + (jan1.weekday() + 1) % 7) // 7 + 1


def _format_field(token: _Token, moment: dt.datetime, millis_of_second: int) -> str:  # noqa: C901
    letter, count = token.letter, token.count
    if letter in ("y", "Y"):
        year = moment.year
        return f"{year % 100:02d}" if count == 2 else str(year).zfill(count)
    if letter in ("M", "L"):
        if count >= 4:
            return _MONTHS[moment.month - 1]
        if count == 3:
            return _MONTHS[moment.month - 1][:3]
        return str(moment.month).zfill(count)
    if letter == "E":
        name = _DAYS[moment.weekday()]
        return name if count >= 4 else name[:3]
    if letter == "a":
        return "AM" if moment.hour < 12 else "PM"
    if letter == "G":
        return "AD"
    if letter == "z":
        return "Coordinated Universal Time" if count >= 4 else "UTC"
    if letter == "Z":
        return "+0000"
    if letter == "X":
        return "Z"
    number = {
        "d": moment.day,
        "H": moment.hour,
        "k": moment.hour or 24,
        "K": moment.hour % 12,
        "h": moment.hour % 12 or 12,
        "m": moment.minute,
        "s": moment.second,
        "S": millis_of_second,
        "D": moment.timetuple().tm_yday,
        "F": (moment.day - 1) // 7 + 1,
        "u": moment.isoweekday(),
    }.get(letter)
    if number is None:
        number = _week_of_year(moment) if letter == "w" else _week_of_month(moment)
    return str(number).zfill(count)


def _week_of_month(moment: dt.datetime) -> int:
    first = moment.replace(day=1)
    offset = (first.weekday() + 1) % 7
    return (moment.day - 1 + offset) // 7 + 1


_SIMPLE_NUMBERS: dict[str, Callable[[dt.datetime, int], int]] = {
    "y": lambda m, _ms: m.year,
    "d": lambda m, _ms: m.day,
    "H": lambda m, _ms: m.hour,
    "m": lambda m, _ms: m.minute,
    "s": lambda m, _ms: m.second,
    "S": lambda _m, ms: ms,
}


def _compile_token(token: _Token) -> Callable[[dt.datetime, int], str]:
    """One formatter per token, chosen once per pattern so formatting a record does no dispatch."""
    if not token.letter:
        text = token.text
        return lambda _m, _ms: text
    count = token.count
    number = _SIMPLE_NUMBERS.get(token.letter)
    if token.letter == "M" and count <= 2:
        number = _month_number_of
    if number is not None and not (token.letter == "y" and count == 2):
        width = f"0{count}d"
        return lambda m, ms: format(number(m, ms), width)
    return lambda m, ms: _format_field(token, m, ms)


def _month_number_of(moment: dt.datetime, _ms: int) -> int:
    return moment.month


# Letters a str.format template can render straight from time.gmtime(): index into (*gmtime[:6], millis).
_TEMPLATE_INDEX = {"y": 0, "M": 1, "d": 2, "H": 3, "m": 4, "s": 5, "S": 6}


def _template(tokens: tuple[_Token, ...]) -> str | None:
    """A str.format template for the common all-numeric patterns, or None when a token needs more."""
    parts = []
    for token in tokens:
        if not token.letter:
            parts.append(token.text.replace("{", "{{").replace("}", "}}"))
            continue
        if token.letter in ("Z", "X"):  # always UTC here
            parts.append("+0000" if token.letter == "Z" else "Z")
            continue
        index = _TEMPLATE_INDEX.get(token.letter)
        if index is None or (token.letter == "y" and token.count == 2) or (token.letter == "M" and token.count > 2):
            return None
        parts.append(f"{{{index}:0{token.count}d}}")
    return "".join(parts)


def _second_template(tokens: tuple[_Token, ...]) -> tuple[str, int]:
    """For a pattern `_template` renders: a str.format template of the fields of one second (indexes 0-5 of
    gmtime) that leaves a %-template of the milliseconds, and how many millisecond fields that has.

    "yyyy-MM-dd'T'HH:mm:ss.SSS" -> ("{0:04d}-{1:02d}-{2:02d}T{3:02d}:{4:02d}:{5:02d}.%03d", 1)
    """
    parts = []
    millis_fields = 0
    for token in tokens:
        if not token.letter:
            parts.append(token.text.replace("{", "{{").replace("}", "}}").replace("%", "%%"))
        elif token.letter in ("Z", "X"):
            parts.append("+0000" if token.letter == "Z" else "Z")
        elif token.letter == "S":
            parts.append(f"%0{token.count}d")
            millis_fields += 1
        else:
            parts.append(f"{{{_TEMPLATE_INDEX[token.letter]}:0{token.count}d}}")
    return "".join(parts), millis_fields


class JavaDateFormat:
    """A compiled SimpleDateFormat pattern in UTC: `format(millis)` and `parse(text) -> millis`."""

    __slots__ = ("_formatters", "_last_second", "_millis_fields", "_parse_regex", "_second_template", "_template",
                 "_tokens", "pattern")  # fmt: skip

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._tokens = _tokenize(pattern)
        self._formatters = tuple(_compile_token(t) for t in self._tokens)
        self._template = _template(self._tokens)
        self._second_template, self._millis_fields = (
            _second_template(self._tokens) if self._template is not None else ("", 0)
        )
        # (epoch second, its %-template of the milliseconds): timestamps of consecutive records mostly share
        # their second, so the calendar fields are rendered once per second. One tuple, replaced whole, so
        # threads sharing the format never see a second with another second's text.
        self._last_second: tuple[int, str] | None = None
        self._parse_regex: re.Pattern[str] | None = None

    def format(self, millis: int) -> str:
        seconds, millis_of_second = divmod(millis, 1000)
        if self._template is not None and seconds >= _FIRST_TEMPLATE_SECOND:
            last = self._last_second
            if last is None or last[0] != seconds:
                last = self._last_second = (seconds, self._second_text(seconds))
            fields = self._millis_fields
            if fields == 1:
                return last[1] % millis_of_second
            return last[1] % ((millis_of_second,) * fields)
        moment = _EPOCH + dt.timedelta(seconds=seconds)
        return "".join([f(moment, millis_of_second) for f in self._formatters])

    def _second_text(self, seconds: int) -> str:
        """The text of one second, a %-template of its milliseconds (see _second_template)."""
        t = time.gmtime(seconds)
        return self._second_template.format(t[0], t[1], t[2], t[3], t[4], t[5])

    def fast_format(self) -> Callable[[int], str]:
        """`format` itself, or the same in one C call when connectless.native is built (its own cache of the
        current second's text, made by `_second_text`; whatever it does not cover it hands to `format`)."""
        fast = native.records
        if fast is None or self._template is None:
            return self.format
        return fast.MillisFormat(self._second_text, self._millis_fields, _FIRST_TEMPLATE_SECOND, self.format)

    # -- parsing -----------------------------------------------------------------------------------
    def _regex(self) -> re.Pattern[str]:
        if self._parse_regex is None:
            pieces = []
            tokens = self._tokens
            for i, token in enumerate(tokens):
                following = tokens[i + 1] if i + 1 < len(tokens) else None
                pieces.append(_token_regex(i, token, following is not None and following.is_numeric()))
            self._parse_regex = re.compile("".join(pieces), re.IGNORECASE)
        return self._parse_regex

    def parse(self, text: str) -> int:
        """Epoch millis of `text`; raises ValueError when it does not match the pattern."""
        match = self._regex().match(text)
        if match is None:
            raise ValueError(f"Unparseable date: {text!r}")
        fields: dict[str, int] = {}
        offset_minutes = 0
        pm: bool | None = None
        for i, token in enumerate(self._tokens):
            raw = match.group(f"t{i}") if token.letter else None
            if raw is None:
                continue
            letter = token.letter
            if letter == "a":
                pm = raw.upper() == "PM"
            elif letter in ("z", "Z", "X"):
                offset_minutes = _offset_minutes(raw)
            elif letter in ("M", "L") and token.count >= 3:
                fields["M"] = _month_number(raw)
            elif letter in ("E", "G"):
                continue  # informative only, as in Java
            else:
                value = int(raw)
                if letter in ("y", "Y") and token.count <= 2 and len(raw.lstrip("+-")) == 2:
                    value = _two_digit_year(value)
                fields["y" if letter == "Y" else letter] = value
        return _to_millis(fields, pm) - offset_minutes * 60_000


def _token_regex(index: int, token: _Token, fixed_width: bool) -> str:
    if not token.letter:
        return re.escape(token.text)
    name = f"(?P<t{index}>"
    letter, count = token.letter, token.count
    if token.is_numeric():
        return name + (rf"\d{{{count}}})" if fixed_width else r"[+-]?\d+)")
    if letter in ("M", "L"):
        return name + "|".join([*_MONTHS, *(m[:3] for m in _MONTHS)]) + ")"
    if letter == "E":
        return name + "|".join([*_DAYS, *(d[:3] for d in _DAYS)]) + ")"
    if letter == "a":
        return name + "AM|PM)"
    if letter == "G":
        return name + "AD|BC)"
    # z, Z, X: a zone name, Z, or a numeric offset
    return name + r"Z|UTC|GMT|Coordinated Universal Time|[+-]\d{2}(?::?\d{2})?)"


def _offset_minutes(raw: str) -> int:
    if raw.upper() in ("Z", "UTC", "GMT", "COORDINATED UNIVERSAL TIME"):
        return 0
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return sign * (hours * 60 + minutes)


def _month_number(raw: str) -> int:
    probe = raw.lower()
    for i, name in enumerate(_MONTHS):
        if name.lower().startswith(probe[:3]):
            return i + 1
    raise ValueError(f"Unknown month {raw!r}")  # pragma: no cover - the regex only lets known names through


def _two_digit_year(value: int) -> int:
    # Java resolves yy to the century window [now - 80 years, now + 20 years).
    start = dt.datetime.now(dt.UTC).year - 80
    year = (start // 100) * 100 + value
    return year + 100 if year < start else year


def _to_millis(fields: dict[str, int], pm: bool | None) -> int:
    year = fields.get("y", 1970)
    hour = fields.get("H", 0)
    if "k" in fields:
        hour = fields["k"] % 24
    if "h" in fields:
        hour = fields["h"] % 12
    if "K" in fields:
        hour = fields["K"]
    if pm is not None and ("h" in fields or "K" in fields):
        hour += 12 if pm else 0
    # Lenient rollover: start from the first of the (normalised) month and add the rest as durations.
    if "M" in fields:
        years_extra, month_index = divmod(fields["M"] - 1, 12)
        day_zero = dt.datetime(year + years_extra, month_index + 1, 1, tzinfo=dt.UTC)
        days = fields.get("d", 1) - 1
    else:
        day_zero = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        days = fields["D"] - 1 if "D" in fields else fields.get("d", 1) - 1
    moment = day_zero + dt.timedelta(
        days=days,
        hours=hour,
        minutes=fields.get("m", 0),
        seconds=fields.get("s", 0),
        milliseconds=fields.get("S", 0),
    )
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
