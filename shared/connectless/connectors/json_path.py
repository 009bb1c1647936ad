"""The JSONPath subset a polling source needs: `$`, `$.a.b`, `$.items[0].id`, `$['a b']`."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class JsonPathError(ValueError):
    """Not a path this subset understands."""


def compile_path(path: str) -> list[str | int]:
    """`$.a[0]['b c']` -> ["a", 0, "b c"]."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    elif text and not text.startswith((".", "[")):
        text = "." + text
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise JsonPathError(f"unsupported JSON path {path!r} at {text[position:]!r}")
        name, index, single, double = match.groups()
        steps.append(int(index) if index is not None else (name or single or double or ""))
        position = match.end()
    return steps


def find(document: Any, steps: list[str | int]) -> Any:
    """The value at `steps`, or None when any step is missing."""
    current = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return None
            current = current[step]
        elif isinstance(current, dict):
            current = current.get(step)
        else:
            return None
    return current
