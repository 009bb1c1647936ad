"""The S3 sink on moto's S3: key layout, JSON lines, rotation, time partitions, redelivery, failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import orjson
import pytest
from moto import mock_aws

from connectless.connector import TopicPartition
from connectless.connectors.s3_sink import S3SinkTask
from connectless.errors import ConnectError, RetriableError
from connectless.records import SinkRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

BUCKET = "lake"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def make_task(s3: object) -> Callable[..., S3SinkTask]:
    def make(**config: str) -> S3SinkTask:
        task = S3SinkTask()
        task.start({"s3.bucket.name": BUCKET, "flush.size": "3", **config})
        return task

    return make


def rec(offset: int, partition: int = 0, value: object = None, timestamp: int | None = None) -> SinkRecord:
    body = {"n": offset} if value is None else value
    return SinkRecord("orders", partition, None, None, None, body, timestamp, kafka_offset=offset)


def objects(client: object) -> dict[str, list[object]]:
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])  # type: ignore[attr-defined]
    out = {}
    for item in listed:
        body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()  # type: ignore[attr-defined]
        out[item["Key"]] = [orjson.loads(line) for line in body.splitlines()]
    return out


def deliver(task: S3SinkTask, offsets: range, partition: int = 0) -> None:
    task.put([rec(o, partition) for o in offsets])
    task.flush({TopicPartition("orders", partition): offsets[-1] + 1})


def test_keys_hold_json_lines_and_rotate_by_count(s3: object, make_task: Callable[..., S3SinkTask]) -> None:
    task = make_task()
    deliver(task, range(7))
    deliver(task, range(2), partition=1)
    assert objects(s3) == {
        "topics/orders/partition=0/orders+0+0.json": [{"n": 0}, {"n": 1}, {"n": 2}],
        "topics/orders/partition=0/orders+0+3.json": [{"n": 3}, {"n": 4}, {"n": 5}],
        "topics/orders/partition=0/orders+0+6.json": [{"n": 6}],
        "topics/orders/partition=1/orders+1+0.json": [{"n": 0}, {"n": 1}],
    }


def test_a_redelivery_rewrites_the_same_keys_whatever_its_batches(
    s3: object, make_task: Callable[..., S3SinkTask]
) -> None:
    first = make_task()
    deliver(first, range(3))  # committed
    deliver(first, range(3, 8))  # written, then the invocation died before the commit
    retry = make_task()
    deliver(retry, range(3, 5))  # redelivered from the committed offset, in other batches
    deliver(retry, range(5, 10))
    found = objects(s3)
    every = sorted(line["n"] for lines in found.values() for line in lines)  # type: ignore[index]
    assert every == list(range(10))  # nothing twice, nothing lost
    assert found["topics/orders/partition=0/orders+0+3.json"] == [{"n": 3}, {"n": 4}]


def test_rotation_by_size(s3: object, make_task: Callable[..., S3SinkTask]) -> None:
    task = make_task(**{"flush.size": "100", "rotate.size.bytes": "20"})
    deliver(task, range(4))
    assert sorted(objects(s3)) == [
        "topics/orders/partition=0/orders+0+0.json",  # {"n":0}\n{"n":1}\n{"n":2}\n is 24 bytes
        "topics/orders/partition=0/orders+0+3.json",
    ]


def test_time_based_partitioning(s3: object, make_task: Callable[..., S3SinkTask]) -> None:
    task = make_task(**{"partitioner.class": "TimeBasedPartitioner", "topics.dir": "raw"})
    hour = 3_600_000
    base = 1_700_000_000_000 - 1_700_000_000_000 % hour  # 2023-11-14 22:00 UTC
    task.put([rec(0, timestamp=base + 5), rec(1, timestamp=base + hour + 1), rec(2, timestamp=base + 7)])
    task.flush({})
    assert objects(s3) == {
        "raw/orders/year=2023/month=11/day=14/hour=22/orders+0+0.json": [{"n": 0}, {"n": 2}],
        "raw/orders/year=2023/month=11/day=14/hour=23/orders+0+1.json": [{"n": 1}],
    }


def test_tombstones_are_skipped_or_refused(s3: object, make_task: Callable[..., S3SinkTask]) -> None:
    tombstone = SinkRecord("orders", 0, None, b"k", None, None, kafka_offset=0)
    make_task().put([tombstone])
    with pytest.raises(ConnectError):
        make_task(**{"behavior.on.null.values": "fail"}).put([tombstone])


def test_a_missing_bucket_is_not_retriable(make_task: Callable[..., S3SinkTask]) -> None:
    task = make_task(**{"s3.bucket.name": "no-such-bucket"})
    with pytest.raises(ConnectError) as info:
        deliver(task, range(1))
    assert not isinstance(info.value, RetriableError)


def test_an_unreachable_endpoint_is_retriable(monkeypatch: pytest.MonkeyPatch) -> None:
    import db_servers

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    task = S3SinkTask()
    url = f"http://127.0.0.1:{db_servers.free_port()}"
    task.start({"s3.bucket.name": BUCKET, "store.url": url, "s3.region": "us-east-1"})
    with pytest.raises(RetriableError):
        deliver(task, range(1))
