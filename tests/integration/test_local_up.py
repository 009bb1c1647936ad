"""`connectless local up` end to end on the real broker: REST -> API handler -> the real ASL in moto -> manager
handler -> schedules in moto's Scheduler and the sink's alias and event-source mapping -> the local runtime runs
the source handler and the sink handler; the CLI client drives it all."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import TYPE_CHECKING

import boto3
import pytest

from connectless_cli.client import ConnectClient
from connectless_cli.main import main
from connectless_local.local_up import LocalSamStack

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def local_stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSamStack]:
    prefix = f"local-{uuid.uuid4().hex[:8]}"
    parameters = {
        "ConfigTopic": f"{prefix}-configs",
        "OffsetsTopic": f"{prefix}-offsets",
        "StatusTopic": f"{prefix}-status",
        "SourceTaskTimeout": "20",  # 10 s of polling (the margin is 10 s); offsets are written at its end
    }
    state_file = tmp_path_factory.mktemp("local") / "local-up.json"
    before = os.environ.get("AWS_ENDPOINT_URL")
    stack = LocalSamStack(rest_port=0, bootstrap_servers=kafka_bootstrap, state_file=state_file, parameters=parameters)
    stack.start()
    yield stack
    assert stack.roles is not None and not stack.roles.denied(), stack.roles.report()  # the template's IAM suffices
    stack.stop()
    assert os.environ.get("AWS_ENDPOINT_URL") == before
    assert not state_file.exists()


def eventually(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


def cli(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str]:
    """The CLI's output, without the JSON log lines the stack's functions print to the same stdout meanwhile."""
    capsys.readouterr()
    code = main([*argv, "--url", url])
    return code, cli_output(capsys)


def cli_output(capsys: pytest.CaptureFixture[str]) -> str:
    """Stdout since the last read, without the functions' Powertools log and EMF lines."""
    lines = capsys.readouterr().out.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(('{"level"', '{"_aws"')))


def test_source_and_sink_through_the_local_stack(local_stack: LocalSamStack, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "200")
    assert local_stack.endpoints is not None
    url = local_stack.endpoints.rest_url
    topic, out = f"orders-{uuid.uuid4().hex[:8]}", tmp_path / "out.txt"
    source = {"name": f"{topic}-gen", "config": {"connector.class": "Datagen", "tasks.max": "1",
              "kafka.topic": topic, "quickstart": "orders", "max.records": "30",
              "connectless.source.schedule": "rate(2 seconds)"}}  # fmt: skip
    sink = {"name": f"{topic}-file", "config": {"connector.class": "FileStreamSink", "tasks.max": "1",
            "topics": topic, "file": str(out)}}  # fmt: skip
    for connector in (source, sink):
        path = tmp_path / f"{connector['name']}.json"
        path.write_text(json.dumps(connector), encoding="utf-8")
        assert cli(capsys, url, "apply", "-f", str(path))[0] == 0

    # the stack's own resources did the work: a schedule in moto, an alias of the sink function, executions
    schedules = boto3.client("scheduler").list_schedules(GroupName="connectless-dev")["Schedules"]
    assert any(s["Name"] == f"connectless-{topic}-gen-0" for s in schedules)
    sink_fn = os.environ["CONNECTLESS_SINK_FUNCTION_NAME"]
    assert boto3.client("lambda").get_alias(FunctionName=sink_fn, Name=f"{topic}-file")["Name"] == f"{topic}-file"
    sfn = boto3.client("stepfunctions")
    machine = local_stack.endpoints.state_machine_arn
    assert {e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]} == {"SUCCEEDED"}

    eventually(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) == 30)
    code, table = cli(capsys, url, "get", "connectors")
    assert code == 0 and f"{topic}-gen" in table and "RUNNING" in table

    def source_offsets() -> list[dict[str, object]]:
        return list(json.loads(cli(capsys, url, "offsets", "get", f"{topic}-gen", "-o", "json")[1])["offsets"])

    eventually(lambda: [o["offset"] for o in source_offsets()] == [{"next.id": 30}])

    # stop returns once the mapping's consumer left the group, so the offsets reset at once
    assert cli(capsys, url, "stop", f"{topic}-file")[0] == 0
    assert cli(capsys, url, "offsets", "reset", f"{topic}-file")[0] == 0
    assert not [m for m in local_stack.mappings.list()
                if m["State"] == "Enabled" and m["FunctionArn"].endswith(f":{topic}-file")]  # fmt: skip

    assert cli(capsys, url, "delete", f"{topic}-gen", f"{topic}-file")[0] == 0
    schedules = boto3.client("scheduler").list_schedules(GroupName="connectless-dev")["Schedules"]
    assert not [s for s in schedules if s["Name"].startswith(f"connectless-{topic}")]
    assert ConnectClient(url).get("/connectors") == []


def _produce(bootstrap: str, topic: str, count: int) -> None:
    from confluent_kafka import Producer

    from connectless.kafka.admin import TopicSpec, ensure_topic
    from connectless.kafka.settings import KafkaSettings

    ensure_topic(KafkaSettings.from_env(bootstrap), TopicSpec(topic, partitions=2))
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        producer.produce(topic, f"{topic}:{i}".encode(), key=str(i).encode(), partition=i % 2)
    assert producer.flush(30) == 0


def _group_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
    except KafkaException:
        return {}
    return {(tp.topic, tp.partition): tp.offset for tp in listed.topic_partitions or [] if tp.offset >= 0}


def test_a_sink_on_two_topics_a_mapping_and_a_group_each(local_stack: LocalSamStack, kafka_bootstrap: str,
                                                         tmp_path: Path) -> None:  # fmt: skip
    """Every record of both topics once; one topic per mapping, distinct groups at the AWS endpoint; topic a's group
    seeded from connect-<name> (a Kafka Connect worker had read 4 records of a's partition 0); offsets across the
    groups through REST."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    assert local_stack.endpoints is not None
    client = ConnectClient(local_stack.endpoints.rest_url)
    name = f"two-{uuid.uuid4().hex[:8]}"
    a, b, out = f"{name}-a", f"{name}-b", tmp_path / "out.txt"
    _produce(kafka_bootstrap, a, 20)
    _produce(kafka_bootstrap, b, 20)
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    request = [ConsumerGroupTopicPartitions(f"connect-{name}", [TopicPartition(a, 0, 4)])]
    admin.alter_consumer_group_offsets(request)[f"connect-{name}"].result(30)

    strings = "org.apache.kafka.connect.storage.StringConverter"
    config = {"connector.class": "FileStreamSink", "topics": f"{a},{b}", "file": str(out),
              "key.converter": strings, "value.converter": strings}  # fmt: skip
    client.request("POST", "/connectors", {"name": name, "config": config})
    assert client.get(f"/connectors/{name}/status")["connector"]["state"] == "RUNNING"

    # at the AWS endpoint (moto's server): one topic per mapping, distinct consumer groups
    lam = boto3.client("lambda", endpoint_url=local_stack.endpoints.aws_endpoint_url)
    alias = lam.get_alias(FunctionName=os.environ["CONNECTLESS_SINK_FUNCTION_NAME"], Name=name)["AliasArn"]
    mappings = lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]
    assert sorted(m["Topics"] for m in mappings) == [[a], [b]]
    groups = {m["Topics"][0]: m["SelfManagedKafkaEventSourceConfig"]["ConsumerGroupId"] for m in mappings}
    assert groups == {a: f"connect-{name}-{a}", b: f"connect-{name}-{b}"}
    assert {m["State"] for m in mappings} == {"Enabled"}

    expected = {f"{a}:{i}" for i in range(20) if not (i % 2 == 0 and i // 2 < 4)} | {f"{b}:{i}" for i in range(20)}
    eventually(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) >= len(expected))
    time.sleep(1.5)  # nothing more arrives: each record once
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sorted(lines) == sorted(expected)

    # paused: the mappings stay, Disabled, and no emulator runs them; resumed: Enabled again, the same mappings
    uuids = {m["UUID"] for m in mappings}
    client.request("PUT", f"/connectors/{name}/pause")
    paused = lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]
    assert {m["UUID"]: m["State"] for m in paused} == dict.fromkeys(uuids, "Disabled")
    assert not uuids & set(local_stack._running_mappings)
    client.request("PUT", f"/connectors/{name}/resume")
    resumed = lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"]
    assert {m["UUID"]: m["State"] for m in resumed} == dict.fromkeys(uuids, "Enabled")
    assert uuids <= set(local_stack._running_mappings)

    # offsets across the per-topic groups
    client.request("PUT", f"/connectors/{name}/stop")
    # STOPPED: no task, so no mapping (its consumers left the groups before the request returned)
    assert lam.list_event_source_mappings(FunctionName=alias)["EventSourceMappings"] == []
    got = {(o["partition"]["kafka_topic"], o["partition"]["kafka_partition"]): o["offset"]["kafka_offset"]
           for o in client.get(f"/connectors/{name}/offsets")["offsets"]}  # fmt: skip
    assert got == {(a, 0): 10, (a, 1): 10, (b, 0): 10, (b, 1): 10}
    patch = {
        "offsets": [
            {"partition": {"kafka_topic": a, "kafka_partition": 1}, "offset": {"kafka_offset": 3}},
            {"partition": {"kafka_topic": b, "kafka_partition": 0}, "offset": {"kafka_offset": 7}},
        ]
    }
    client.request("PATCH", f"/connectors/{name}/offsets", patch)
    assert _group_offsets(kafka_bootstrap, f"connect-{name}-{a}")[(a, 1)] == 3
    assert _group_offsets(kafka_bootstrap, f"connect-{name}-{b}")[(b, 0)] == 7
    got = {(o["partition"]["kafka_topic"], o["partition"]["kafka_partition"]): o["offset"]["kafka_offset"]
           for o in client.get(f"/connectors/{name}/offsets")["offsets"]}  # fmt: skip
    assert got == {(a, 0): 10, (a, 1): 3, (b, 0): 7, (b, 1): 10}
    client.request("DELETE", f"/connectors/{name}/offsets")
    assert client.get(f"/connectors/{name}/offsets")["offsets"] == []
    for group in (f"connect-{name}", *groups.values()):
        assert _group_offsets(kafka_bootstrap, group) == {}
    client.request("DELETE", f"/connectors/{name}")


def test_a_sink_whose_name_aws_refuses_runs_under_derived_names(local_stack: LocalSamStack, kafka_bootstrap: str,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    """A name Kafka Connect takes but AWS does not (a space, `%`, unicode): its mapping's ConsumerGroupId and its
    alias are derived (aws_names), the group is seeded from connect-<name> (a worker had read 3 records of
    partition 0), the sink handler finds the connector from the alias, and offsets and lag read the derived group."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    from connectless.aws_names import alias_name, consumer_group_id
    from connectless_cli.client.http import path_of

    assert local_stack.endpoints is not None
    client = ConnectClient(local_stack.endpoints.rest_url)
    name = f"50% off ☃ {uuid.uuid4().hex[:6]}"
    topic, out = f"odd-{uuid.uuid4().hex[:8]}", tmp_path / "out.txt"
    _produce(kafka_bootstrap, topic, 10)
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    request = [ConsumerGroupTopicPartitions(f"connect-{name}", [TopicPartition(topic, 0, 3)])]
    admin.alter_consumer_group_offsets(request)[f"connect-{name}"].result(30)

    strings = "org.apache.kafka.connect.storage.StringConverter"
    config = {"connector.class": "FileStreamSink", "topics": topic, "file": str(out),
              "key.converter": strings, "value.converter": strings}  # fmt: skip
    client.request("POST", "/connectors", {"name": name, "config": config})
    assert client.get(path_of("connectors", name, "status"))["connector"]["state"] == "RUNNING"

    group = consumer_group_id(name)
    assert group != f"connect-{name}"
    lam = boto3.client("lambda", endpoint_url=local_stack.endpoints.aws_endpoint_url)
    alias = lam.get_alias(FunctionName=os.environ["CONNECTLESS_SINK_FUNCTION_NAME"], Name=alias_name(name))
    mappings = lam.list_event_source_mappings(FunctionName=alias["AliasArn"])["EventSourceMappings"]
    assert [m["SelfManagedKafkaEventSourceConfig"]["ConsumerGroupId"] for m in mappings] == [group]

    expected = {f"{topic}:{i}" for i in range(10) if not (i % 2 == 0 and i // 2 < 3)}
    eventually(lambda: out.exists() and len(out.read_text(encoding="utf-8").splitlines()) >= len(expected))
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == sorted(expected)
    lag = client.get(path_of("connectless", "connectors", name, "lag"))
    assert lag["group"] == group and lag["total_lag"] == 0

    client.request("PUT", path_of("connectors", name, "stop"))
    got = {(o["partition"]["kafka_topic"], o["partition"]["kafka_partition"]): o["offset"]["kafka_offset"]
           for o in client.get(path_of("connectors", name, "offsets"))["offsets"]}  # fmt: skip
    assert got == {(topic, 0): 5, (topic, 1): 5}
    client.request("DELETE", path_of("connectors", name, "offsets"))
    assert _group_offsets(kafka_bootstrap, group) == {}
    assert _group_offsets(kafka_bootstrap, f"connect-{name}") == {}
    client.request("DELETE", path_of("connectors", name))


def test_a_regex_sink_is_refused_with_the_reason(local_stack: LocalSamStack) -> None:
    from connectless_cli.client.http import ConnectRestError

    assert local_stack.endpoints is not None
    client = ConnectClient(local_stack.endpoints.rest_url)
    with pytest.raises(ConnectRestError) as refused:
        client.request("POST", "/connectors", {"name": "by-regex", "config": {
            "connector.class": "FileStreamSink", "topics.regex": "orders-.*", "file": "/tmp/never"}})  # fmt: skip
    assert refused.value.status == 400
    assert "topics.regex is not supported on AWS" in str(refused.value)
    assert "by-regex" not in client.get("/connectors")


def test_local_status_as_json_for_scripts(local_stack: LocalSamStack, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import connectless_local.local_up

    assert local_stack.endpoints is not None and local_stack.state_file is not None
    monkeypatch.setattr(connectless_local.local_up, "STATE_FILE", local_stack.state_file)
    client = ConnectClient(local_stack.endpoints.rest_url)
    name = f"status-{uuid.uuid4().hex[:8]}"
    client.request("POST", "/connectors", {"name": name, "initial_state": "STOPPED", "config": {
        "connector.class": "FileStreamSink", "topics": name, "file": "/dev/null"}})  # fmt: skip
    capsys.readouterr()
    assert main(["local", "status", "-o", "json"]) == 0
    status = json.loads(cli_output(capsys))
    assert status["rest_url"] == local_stack.endpoints.rest_url
    assert status["aws_endpoint"] == local_stack.endpoints.aws_endpoint_url
    assert status["aws_endpoint"].startswith("http://127.0.0.1:")
    assert status["kafka_bootstrap"] == local_stack.endpoints.bootstrap_servers
    assert status["connectors"][name] == {"type": "sink", "state": "STOPPED", "tasks": []}
    client.request("DELETE", f"/connectors/{name}")
