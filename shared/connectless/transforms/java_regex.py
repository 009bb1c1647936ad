"""Java regular expressions and `Matcher` replacement strings, as RegexRouter and TopicNameMatches take them.

Python's `re` accepts most Java syntax; named groups (`(?<name>...)`, `\\k<name>`) are rewritten. A Java
replacement refers to groups as `$1` or `${name}` and escapes with a backslash; it is compiled to a
function so Python's own `\\1` syntax is never interpreted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<(?![=!])([A-Za-z][A-Za-z0-9]*)>")
_NAMED_BACKREF = re.compile(r"\\k<([A-Za-z][A-Za-z0-9]*)>")


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex; raises re.error when it is not valid."""
    translated = _NAMED_BACKREF.sub(r"(?P=\1)", _NAMED_GROUP.sub(r"(?P<\1>", pattern))
    return re.compile(translated)


def java_replacer(replacement: str, regex: re.Pattern[str]) -> Callable[[re.Match[str]], str]:
    """A `re.sub` replacement function behaving like Java's `Matcher.appendReplacement`.

    Raises ValueError for an illegal reference (a trailing `$` or `\\`, an unknown group name), IndexError for
    a group number the regex does not have (Java's IllegalArgumentException and IndexOutOfBoundsException).
    """
    parts: list[str | int] = []  # literal text, or a group index / name
    literal: list[str] = []
    i, n = 0, len(replacement)
    while i < n:
        ch = replacement[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError("character to be escaped is missing")
            literal.append(replacement[i + 1])
            i += 2
            continue
        if ch != "$":
            literal.append(ch)
            i += 1
            continue
        i += 1
        if i >= n:
            raise ValueError("Illegal group reference: group index is missing")
        if literal:
            parts.append("".join(literal))
            literal = []
        reference, i = _group_reference(replacement, i, regex)
        parts.append(reference)
    if literal:
        parts.append("".join(literal))

    if all(isinstance(p, str) for p in parts):
        constant = "".join(str(p) for p in parts)
        return lambda _match: constant

    def replace(match: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in parts)

    return replace


def _group_reference(replacement: str, i: int, regex: re.Pattern[str]) -> tuple[int, int]:
    """The group a `$` reference starting at `i` names, and the index after it."""
    if replacement[i] == "{":
        end = replacement.find("}", i)
        if end < 0:
            raise ValueError("named capturing group is missing trailing '}'")
        name = replacement[i + 1 : end]
        if name not in regex.groupindex:
            raise ValueError(f"No group with name {{{name}}}")
        return regex.groupindex[name], end + 1
    if not replacement[i].isdigit():
        raise ValueError("Illegal group reference")
    # Java reads digits while the number still names an existing group.
    group = int(replacement[i])
    i += 1
    while i < len(replacement) and replacement[i].isdigit() and group * 10 + int(replacement[i]) <= regex.groups:
        group = group * 10 + int(replacement[i])
        i += 1
    if group > regex.groups:
        raise IndexError(f"No group {group}")  # Java: IndexOutOfBoundsException
    return group, i
