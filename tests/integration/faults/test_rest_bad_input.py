"""Bad and unusual REST input on both real stacks (standalone and local up), each answered as Kafka Connect does or
better: a 4xx with `{"error_code", "message"}` where Kafka Connect 4.1.1 answers a 500 or accepts what it cannot
store, and the same success where it succeeds (names with slashes, unicode, percent signs).

What Kafka Connect 4.1.1 standalone answers, observed on the same inputs: a non-JSON Content-Type 415, an Accept
without JSON 406, an unknown field of the create request 500 ("Unrecognized field"), JSON that does not parse or
holds an array where a string belongs 500, a 10 MB config 201 (its standalone keeps configs in memory; with a
config topic, Kafka refuses the record), `a/b` 201 yet unreachable (`/connectors/a%2Fb` is Jetty's 400), unicode
names 201 and reachable.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
import requests

if TYPE_CHECKING:
    from fault_stacks import RunningStack

pytestmark = pytest.mark.kafka
JSON = {"Content-Type": "application/json"}


def sink_config(topic: str) -> dict[str, str]:
    return {"connector.class": "FileStreamSink", "tasks.max": "1", "topics": topic, "file": "/dev/null"}


def send(stack: RunningStack, method: str, path: str, body: Any = None, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> requests.Response:  # fmt: skip
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    return requests.request(method, stack.url + path, data=data, headers={**JSON, **(headers or {})}, timeout=120)


def assert_error(response: requests.Response, status: int, *words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert set(body) == {"error_code", "message"} and body["error_code"] == status, body
    for word in words:
        assert word in body["message"], body


def path_of(name: str) -> str:
    return "/connectors/" + quote(name, safe="")


def test_a_10_mb_config_is_413_and_nothing_is_created(stack: RunningStack) -> None:
    name = f"big-{uuid.uuid4().hex[:6]}"
    ten_mb = {"name": name, "config": {**sink_config("t"), "padding": "x" * (10 * 1024 * 1024)}}
    assert_error(send(stack, "POST", "/connectors", ten_mb), 413, "bytes")
    # 2 MB passes the 6 MB a Lambda invocation takes, and is still more than a config-topic record holds
    two_mb = {**sink_config("t"), "padding": "x" * (2 * 1024 * 1024)}
    assert_error(send(stack, "PUT", path_of(name) + "/config", two_mb), 413, "config-topic record")
    assert_error(send(stack, "GET", path_of(name)), 404)


@pytest.mark.parametrize("depth", [65, 5_000, 200_000])
def test_deeply_nested_json_is_400(stack: RunningStack, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = ('{"name": "deep", "config": {"connector.class": "FileStreamSink", "x": ' + nested + "}}").encode()
    assert_error(send(stack, "POST", "/connectors", raw=body), 400, "deeper than 64")
    offsets = ('{"offsets": [{"partition": ' + '{"a":' * depth + "1" + "}" * depth + "}]}").encode()
    assert_error(send(stack, "PATCH", "/connectors/fuzz-gen/offsets", raw=offsets), 400, "deeper than 64")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "u", "config": {}, "bogus": 1}, ('Unrecognized field "bogus"', "initial_state")),
        ([1, 2], ("JSON object",)),
        ({"name": 5, "config": {}}, ("must be a string",)),
        ({"name": "u", "config": {"connector.class": "FileStreamSink", "x": {"y": 1}}}, ("x must be a string",)),
        ({"name": "u", "initial_state": "SLEEPING", "config": {}}, ("SLEEPING",)),
    ],
)
def test_malformed_create_requests_are_400(stack: RunningStack, body: Any, words: tuple[str, ...]) -> None:
    assert_error(send(stack, "POST", "/connectors", body), 400, *words)


def test_unknown_fields_elsewhere_are_400(stack: RunningStack) -> None:
    offsets = {"offsets": [{"partition": {"a": 1}, "offset": {"b": 2}}], "extra": True}
    assert_error(send(stack, "PATCH", "/connectors/fuzz-gen/offsets", offsets), 400, 'Unrecognized field "extra"')
    assert_error(send(stack, "PUT", "/admin/loggers/connectless", {"level": "INFO", "scope": "x"}), 400, '"scope"')
    # config properties are free-form: an unknown key is stored, as Kafka Connect does
    name = f"unknown-key-{uuid.uuid4().hex[:6]}"
    created = send(stack, "PUT", path_of(name) + "/config", {**sink_config(name), "my.own.key": "1"})
    assert created.status_code == 201, created.text
    assert created.json()["config"]["my.own.key"] == "1"
    assert send(stack, "DELETE", path_of(name)).status_code == 204


@pytest.mark.parametrize(
    ("content_type", "raw", "status"),
    [
        ("text/plain", b'{"name": "ct", "config": {}}', 415),
        ("application/x-www-form-urlencoded", b"name=ct", 415),
        ("application/xml", b"<connector/>", 415),
        ("application/json", b"{nope", 400),
        ("application/json", b"\xff\xfe\x00", 400),
        ("application/json; charset=utf-8", b'{"name": "", "config": {}}', 400),
    ],
)
def test_wrong_content_types_and_bodies(stack: RunningStack, content_type: str, raw: bytes, status: int) -> None:
    assert_error(send(stack, "POST", "/connectors", raw=raw, headers={"Content-Type": content_type}), status)


def test_a_client_that_takes_no_json_is_406(stack: RunningStack) -> None:
    assert_error(send(stack, "GET", "/connectors", headers={"Accept": "application/xml"}), 406)
    assert send(stack, "GET", "/connectors", headers={"Accept": "text/html, */*;q=0.1"}).status_code == 200


@pytest.mark.parametrize("name", ["", "   ", "tab\there", "nul\x00", "line\nbreak"])
def test_empty_names_and_control_characters_are_400(stack: RunningStack, name: str) -> None:
    assert_error(send(stack, "POST", "/connectors", {"name": name, "config": sink_config("t")}), 400, "name")


@pytest.mark.parametrize("label", ["a/b/c", "ünï-☃-名前", "50%-off", "spaces in name", "dots.and_under-scores"])
def test_unusual_names_round_trip(stack: RunningStack, label: str) -> None:
    """Created, read back under its percent-encoded path, listed, deleted: the whole stack (schedules, aliases)
    takes names the AWS APIs would not."""
    name = f"{label}-{uuid.uuid4().hex[:4]}"
    created = send(stack, "POST", "/connectors", {"name": name, "config": sink_config(f"n-{uuid.uuid4().hex[:8]}")})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == name
    info = send(stack, "GET", path_of(name))
    assert info.status_code == 200 and info.json()["config"]["name"] == name, info.text
    assert send(stack, "GET", path_of(name) + "/status").json()["name"] == name
    assert name in send(stack, "GET", "/connectors").json()
    assert send(stack, "DELETE", path_of(name)).status_code == 204
    assert_error(send(stack, "GET", path_of(name)), 404)
