"""The JSONPath subset of the polling sources."""

from __future__ import annotations

import pytest

from connectless.connectors.json_path import JsonPathError, compile_path, find

DOC = {"data": {"items": [{"id": 1}, {"id": 2}], "a b": True}, "next": "c2"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [("$", DOC), ("$.next", "c2"), ("next", "c2"), ("$.data.items[1].id", 2), ("$['data']['a b']", True),
     ('$["data"].items[0]', {"id": 1}), ("$.data.missing.x", None), ("$.data.items[9]", None), ("$.next.x", None)],
)  # fmt: skip
def test_find(path: str, expected: object) -> None:
    assert find(DOC, compile_path(path)) == expected


@pytest.mark.parametrize("path", ["$..id", "$.items[*]", "$.a[-1]", "$.a b"])
def test_unsupported_paths_are_refused(path: str) -> None:
    with pytest.raises(JsonPathError):
        compile_path(path)
