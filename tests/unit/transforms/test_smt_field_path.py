from __future__ import annotations

import pytest

from connectless.config import ConfigError
from connectless.transforms.field_path import FieldSyntaxVersion, SingleFieldPath


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("foo", ("foo",)),
        ("foo.bar", ("foo", "bar")),
        ("foo.bar.baz", ("foo", "bar", "baz")),
        ("`foo.bar`.baz", ("foo.bar", "baz")),
        ("foo.`bar.baz`", ("foo", "bar.baz")),
        ("`foo`", ("foo",)),
        ("foo.", ("foo", "")),
        ("`foo.bar`.", ("foo.bar", "")),
        ("`fo`o`.bar", ("fo`o", "bar")),
        (r"`foo\`.bar`.baz", ("foo`.bar", "baz")),
        ("", ("",)),
    ],
)
def test_v2_steps(path: str, steps: tuple[str, ...]) -> None:
    assert SingleFieldPath(path, FieldSyntaxVersion.V2).steps == steps


def test_v1_is_one_step() -> None:
    assert SingleFieldPath("a.b.`c`", FieldSyntaxVersion.V1).steps == ("a.b.`c`",)


@pytest.mark.parametrize("path", ["`foo.bar", r"`foo\`"])
def test_incomplete_backticks(path: str) -> None:
    with pytest.raises(ConfigError, match=r"Incomplete backtick pair in path: \["):
        SingleFieldPath(path, FieldSyntaxVersion.V2)


@pytest.mark.parametrize(("text", "version"), [("v1", FieldSyntaxVersion.V1), ("V2", FieldSyntaxVersion.V2)])
def test_version_from_config(text: str, version: FieldSyntaxVersion) -> None:
    assert FieldSyntaxVersion.from_config(text) is version
