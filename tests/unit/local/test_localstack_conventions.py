"""`local up --localstack` finds LocalStack as localstack_client does (LOCALSTACK_HOST, EDGE_PORT, USE_SSL)."""

from __future__ import annotations

import pytest

from connectless_cli.main import build_parser
from connectless_local.localstack import localstack_endpoint, use_localstack, wanted


@pytest.mark.parametrize(
    ("environ", "endpoint"),
    [
        ({}, "http://localhost:4566"),
        ({"LOCALSTACK_HOST": "127.0.0.1:4599"}, "http://127.0.0.1:4599"),
        ({"LOCALSTACK_HOST": "localstack"}, "http://localstack:4566"),
        ({"EDGE_PORT": "4577"}, "http://localhost:4577"),
        ({"LOCALSTACK_HOST": "ls", "EDGE_PORT": "4577"}, "http://ls:4577"),
        ({"LOCALSTACK_HOST": "ls:4510", "EDGE_PORT": "4577"}, "http://ls:4510"),  # the host's own port wins
        ({"LOCALSTACK_HOST": "ls", "USE_SSL": "true"}, "https://ls:4566"),
        ({"LOCALSTACK_HOST": "ls", "AWS_ENDPOINT_URL": "http://elsewhere:1"}, "http://elsewhere:1"),
    ],
)
def test_the_endpoint_follows_localstack_clients_conventions(environ: dict[str, str], endpoint: str) -> None:
    assert localstack_endpoint(environ) == endpoint


def test_a_bad_edge_port_is_named() -> None:
    with pytest.raises(ValueError, match="EDGE_PORT must be a port number, got 'abc'"):
        localstack_endpoint({"EDGE_PORT": "abc"})


def test_localstacks_default_credentials_only_where_none_are_set() -> None:
    fresh: dict[str, str] = {"LOCALSTACK_HOST": "ls"}
    assert use_localstack(fresh) == "http://ls:4566"
    assert (fresh["AWS_ACCESS_KEY_ID"], fresh["AWS_SECRET_ACCESS_KEY"], fresh["AWS_DEFAULT_REGION"]) == (
        "test", "test", "us-east-1")  # fmt: skip
    mine = {"LOCALSTACK_HOST": "ls", "AWS_PROFILE": "dev", "AWS_REGION": "eu-west-1"}
    use_localstack(mine)
    assert "AWS_ACCESS_KEY_ID" not in mine and mine["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_localstack_host_alone_asks_for_localstack(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wanted({"LOCALSTACK_HOST": "ls:4566"}) and not wanted({}) and not wanted({"LOCALSTACK_HOST": " "})
    monkeypatch.setenv("LOCALSTACK_HOST", "ls:4566")
    assert build_parser().parse_args(["local", "up"]).localstack is True
    monkeypatch.delenv("LOCALSTACK_HOST")
    assert build_parser().parse_args(["local", "up"]).localstack is False
    assert build_parser().parse_args(["local", "up", "--localstack"]).localstack is True
