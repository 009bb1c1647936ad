"""The console's page and the /connectless/ REST extensions over memory state (no Kafka), the rolling
throughput store, and its CloudWatch reader on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from connectless.manager import ConnectState, InProcessExecutor, MemoryBackend
from connectless.rest import ConnectService, make_handler
from connectless.rest.dlq import parse_selections
from connectless.rest.lag import sink_topics
from connectless.rest.local_server import proxy_event
from connectless.rest.throughput import throughput
from connectless.runtime.throughput import THROUGHPUT, ThroughputStore

SOURCE = {"connector.class": "Datagen", "kafka.topic": "t"}
SINK = {"connector.class": "FileStreamSink", "topics": "t"}


class Api:
    def __init__(self) -> None:
        state = ConnectState.in_memory()
        self.handler = make_handler(lambda: ConnectService(state, InProcessExecutor(state, MemoryBackend())))

    def raw(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        return self.handler(proxy_event(method, path, {}, data, "127.0.0.1"), None)

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = self.raw(method, path, body)
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None


@pytest.fixture
def api() -> Api:
    api = Api()
    api("POST", "/connectors", {"name": "gen", "config": SOURCE})
    api("POST", "/connectors", {"name": "sink", "config": SINK})
    return api


@pytest.mark.parametrize("path", ["/ui", "/ui/"])
def test_ui_is_one_html_page_with_its_script_and_style_inlined(api: Api, path: str) -> None:
    response = api.raw("GET", path)
    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Content-Type"][0].startswith("text/html")
    page = response["body"]
    assert "/*CONSOLE_JS*/" not in page and "/*CONSOLE_CSS*/" not in page
    assert "function connectorView" in page and ".state-RUNNING" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


@pytest.mark.parametrize("ext", ["lag", "throughput", "dlq"])
def test_extensions_answer_404_for_an_unknown_connector(api: Api, ext: str) -> None:
    status, body = api("GET", f"/connectless/connectors/nope/{ext}")
    assert (status, body["error_code"]) == (404, 404)


def test_lag_is_for_sinks_only(api: Api) -> None:
    status, body = api("GET", "/connectless/connectors/gen/lag")
    assert status == 400
    assert "not a sink" in body["message"]
    assert api("GET", "/connectless/connectors/sink/lag") == (
        200, {"group": "connect-sink", "partitions": [], "total_lag": 0})  # fmt: skip


def test_dlq_needs_a_dead_letter_topic(api: Api) -> None:
    status, body = api("GET", "/connectless/connectors/sink/dlq")
    assert status == 400
    assert "errors.deadletterqueue.topic.name" in body["message"]
    status, body = api("POST", "/connectless/connectors/sink/dlq/replay", {"records": [{"partition": 0, "offset": 1}]})
    assert status == 400


def test_dlq_limit_must_be_a_number(api: Api) -> None:
    api("PUT", "/connectors/sink/config", {**SINK, "errors.deadletterqueue.topic.name": "dlq"})
    status, body = api("GET", "/connectless/connectors/sink/dlq?limit=ten")
    assert status == 400
    assert "limit" in body["message"]


@pytest.mark.parametrize(
    "body",
    [None, {}, {"records": []}, {"records": [{"partition": 0}]}, {"records": [{"partition": -1, "offset": 0}]},
     {"records": [{"partition": True, "offset": 0}]}, {"records": [{"partition": 0, "offset": 0}], "topic": " "}],
)  # fmt: skip
def test_replay_selection_errors_name_the_problem(body: Any) -> None:
    from connectless.manager.errors import BadRequestError

    with pytest.raises(BadRequestError):
        parse_selections(body)


def test_replay_selection_parses() -> None:
    selections, topic = parse_selections({"records": [{"partition": 1, "offset": 7}], "topic": "orders"})
    assert [(s.partition, s.offset) for s in selections] == [(1, 7)]
    assert topic == "orders"


def test_sink_topics_from_list_or_regex() -> None:
    assert sink_topics({"topics": "b, a,b"}, []) == ["a", "b"]
    assert sink_topics({"topics.regex": "ord.*"}, ["orders", "users", "ord"]) == ["ord", "orders"]
    assert sink_topics({}, ["x"]) == []


def test_throughput_endpoint_reads_the_process_store(api: Api) -> None:
    THROUGHPUT.forget("sink")
    THROUGHPUT.add("sink", records_in=5, records_out=4, dead_lettered=1)
    status, body = api("GET", "/connectless/connectors/sink/throughput")
    assert status == 200
    assert body["source"] == "process"
    assert [(p["in"], p["out"], p["dead_lettered"]) for p in body["points"]] == [(5, 4, 1)]
    THROUGHPUT.forget("sink")


def test_store_buckets_sums_and_stays_bounded() -> None:
    now = [1000.0]
    store = ThroughputStore(bucket_s=10, keep=3, max_connectors=2, clock=lambda: now[0])
    for t in (1000, 1004, 1011, 1025, 1039):
        now[0] = t
        store.add("a", records_in=1, records_out=1)
    assert [(p["t"], p["in"]) for p in store.series("a")] == [(1010, 1), (1020, 1), (1030, 1)]
    now[0] = 1100  # everything older than keep * bucket_s falls out of the series
    assert store.series("a") == []
    store.add("b", 1)
    store.add("c", 1)  # a third connector: the least recently updated one goes
    assert store.series("a") == [] and store.series("b") and store.series("c")
    with pytest.raises(ValueError, match="positive"):
        ThroughputStore(bucket_s=0)


@mock_aws
def test_cloudwatch_reader_sums_the_functions_metrics_per_minute() -> None:
    client = boto3.client("cloudwatch", region_name="us-east-1")
    # a point in the previous whole minute, never in the future of the reader's window
    now = datetime.now(UTC).replace(second=5, microsecond=0) - timedelta(minutes=1)
    dims = [{"Name": "service", "Value": "connectless-dev"}, {"Name": "connector", "Value": "orders"}]
    other = [{"Name": "service", "Value": "connectless-dev"}, {"Name": "connector", "Value": "other"}]
    data = [("RecordsIn", 10, dims), ("RecordsIn", 5, dims), ("RecordsOut", 14, dims),
            ("RecordsDeadLettered", 1, dims), ("RecordsIn", 99, other)]  # fmt: skip
    metrics = [{"MetricName": name, "Dimensions": d, "Value": value, "Timestamp": now} for name, value, d in data]
    client.put_metric_data(Namespace="Connectless", MetricData=metrics)
    env = {"CONNECTLESS_THROUGHPUT": "cloudwatch", "POWERTOOLS_SERVICE_NAME": "connectless-dev",
           "POWERTOOLS_METRICS_NAMESPACE": "Connectless"}  # fmt: skip
    body = throughput("orders", env, client)
    assert body["source"] == "cloudwatch"
    assert body["interval_s"] == 60
    assert [(p["in"], p["out"], p["dead_lettered"]) for p in body["points"]] == [(15, 14, 1)]


def test_a_password_held_in_a_provider_reference_shows_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "manager"))  # manager_test_plugins
    monkeypatch.setenv("DB_PASSWORD", "s3cr3t")  # validation resolves the reference, as Kafka Connect's does
    api = Api()
    config = {"connector.class": "manager_test_plugins.SecretSource", "db.user": "u",
              "db.password": "${env:DB_PASSWORD}"}  # fmt: skip
    assert api("POST", "/connectors", {"name": "db", "config": config})[0] == 201
    shown = api("GET", "/connectors/db/config")[1]
    assert shown["db.password"] == "${env:DB_PASSWORD}"
    assert "s3cr3t" not in json.dumps(shown)
    api("PUT", "/connectors/db/config", {**config, "db.password": "s3cr3t"})
    assert api("GET", "/connectors/db/config")[1]["db.password"] == "[hidden]"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_text_colours_keep_wcag_aa_contrast_on_both_backgrounds() -> None:
    import re
    from importlib import resources

    css = (resources.files("connectless.rest") / "ui" / "console.css").read_text()
    palette = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6})", css))
    backgrounds = [palette["bg"], palette["panel"]]
    for name in ("fg", "muted", "accent", "ok", "warn", "bad", "info"):
        for background in backgrounds:
            light, dark = sorted((_luminance(palette[name]), _luminance(background)), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 4.5, (name, background)
