"""The DynamoDB sink on moto's DynamoDB: items, keys from the record key or fields, deletes, unprocessed items."""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from connectless.connectors.dynamodb_sink import DynamoDbSinkTask
from connectless.data import INT64_SCHEMA, STRING_SCHEMA, Struct, struct_schema
from connectless.errors import ConnectError, RetriableError
from connectless.records import SinkRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        resource.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        resource.create_table(
            TableName="events",
            KeySchema=[{"AttributeName": "user", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "user", "AttributeType": "S"},
                {"AttributeName": "seq", "AttributeType": "N"},
            ],  # fmt: skip
            BillingMode="PAY_PER_REQUEST",
        )
        yield resource


@pytest.fixture
def make_task(dynamodb: Any) -> Callable[..., DynamoDbSinkTask]:
    def make(**config: str) -> DynamoDbSinkTask:
        task = DynamoDbSinkTask()
        task.start(config)
        task.sleep = lambda _s: None
        return task

    return make


def items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return sorted(dynamodb.Table(table).scan()["Items"], key=lambda i: (str(i.get("id")), str(i.get("seq"))))


def rec(key: Any, value: Any, topic: str = "orders", offset: int = 0) -> SinkRecord:
    return SinkRecord(topic, 0, None, key, None, value, kafka_offset=offset)


def test_items_keyed_by_the_record_key_and_idempotent(
    dynamodb: Any, make_task: Callable[..., DynamoDbSinkTask]
) -> None:
    task = make_task()
    batch = [rec("a", {"qty": 1, "price": 2.5}), rec("b", {"qty": 2, "tags": ["x"]}), rec("a", {"qty": 3})]
    task.put(batch)
    task.put(batch)  # redelivered
    assert items(dynamodb, "orders") == [
        {"id": "a", "qty": decimal.Decimal(3)},
        {"id": "b", "qty": decimal.Decimal(2), "tags": ["x"]},
    ]


def test_a_tombstone_deletes_the_item(dynamodb: Any, make_task: Callable[..., DynamoDbSinkTask]) -> None:
    task = make_task()
    task.put([rec("a", {"qty": 1}), rec("b", {"qty": 2})])
    task.put([rec("a", None)])
    assert [i["id"] for i in items(dynamodb, "orders")] == ["b"]


def test_key_from_value_fields_with_a_range_key(dynamodb: Any, make_task: Callable[..., DynamoDbSinkTask]) -> None:
    task = make_task(**{"pk.mode": "record_value", "pk.fields": "user,seq"})
    schema = struct_schema([("user", STRING_SCHEMA), ("seq", INT64_SCHEMA), ("what", STRING_SCHEMA)])
    value = Struct(schema).put("user", "u1").put("seq", 7).put("what", "login")
    task.put([SinkRecord("events", 0, None, None, schema, value, kafka_offset=0)])
    assert items(dynamodb, "events") == [{"user": "u1", "seq": decimal.Decimal(7), "what": "login"}]


def test_struct_keys_give_their_fields(dynamodb: Any, make_task: Callable[..., DynamoDbSinkTask]) -> None:
    task = make_task(**{"table.name.format": "events"})
    task.put([rec({"user": "u2", "seq": 1}, {"what": "logout"}, topic="x")])
    assert items(dynamodb, "events") == [{"user": "u2", "seq": decimal.Decimal(1), "what": "logout"}]


def test_more_than_25_records_and_unprocessed_items_are_retried(
    dynamodb: Any, make_task: Callable[..., DynamoDbSinkTask]
) -> None:
    task = make_task()
    real = task.client.batch_write_item
    calls: list[int] = []

    def throttled(RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        requests = RequestItems["orders"]
        calls.append(len(requests))
        if len(calls) == 1:  # DynamoDB took only the first half, as it does under throttling
            real(RequestItems={"orders": requests[: len(requests) // 2]})
            return {"UnprocessedItems": {"orders": requests[len(requests) // 2 :]}}
        return real(RequestItems=RequestItems)

    task.client.batch_write_item = throttled
    task.put([rec(f"k{i:02}", {"n": i}, offset=i) for i in range(30)])
    assert calls == [25, 13, 5]
    assert len(items(dynamodb, "orders")) == 30


def test_items_left_unprocessed_make_a_retriable_error(
    dynamodb: Any, make_task: Callable[..., DynamoDbSinkTask]
) -> None:
    task = make_task(**{"max.retries": "2"})
    task.client.batch_write_item = lambda RequestItems: {"UnprocessedItems": RequestItems}  # noqa: N803
    with pytest.raises(RetriableError):
        task.put([rec("a", {"n": 1})])


def test_a_missing_table_is_not_retriable(make_task: Callable[..., DynamoDbSinkTask]) -> None:
    task = make_task(**{"table.name.format": "nope"})
    with pytest.raises(ConnectError) as info:
        task.put([rec("a", {"n": 1})])
    assert not isinstance(info.value, RetriableError)
