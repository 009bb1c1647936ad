"""The S3 source on moto's S3: JSON lines and CSV, offsets as (key, line), resume mid-object, new objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws
from source_tasks import Offsets, run_once

from connectless.connectors.s3_source import S3SourceConnector, S3SourceTask

if TYPE_CHECKING:
    from collections.abc import Iterator

BUCKET = "landing"


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


def put(client: object, key: str, body: str) -> None:
    client.put_object(Bucket=BUCKET, Key=key, Body=body.encode())  # type: ignore[attr-defined]


def props(**extra: str) -> dict[str, str]:
    return {"s3.bucket.name": BUCKET, "s3.prefix": "in/", "topic": "landed", "batch.size": "2",
            "s3.poll.interval.ms": "0", **extra}  # fmt: skip


def test_json_lines_in_key_order_with_key_and_line_offsets(s3: object) -> None:
    put(s3, "in/2024/01.jsonl", '{"n": 1}\n{"n": 2}\n\n{"n": 3}\n')
    put(s3, "in/2024/02.jsonl", '{"n": 4}\n')
    put(s3, "other/skip.jsonl", '{"n": 99}\n')
    put(s3, "in/", "")  # a folder marker
    offsets = Offsets()
    records = run_once(S3SourceTask(), props(), offsets)
    assert [r.value for r in records] == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
    assert [r.source_offset for r in records] == [
        {"key": "in/2024/01.jsonl", "line": 1}, {"key": "in/2024/01.jsonl", "line": 2},
        {"key": "in/2024/01.jsonl", "line": 4}, {"key": "in/2024/02.jsonl", "line": 1}]  # fmt: skip
    assert {r.topic for r in records} == {"landed"}
    assert records[0].source_partition == {"bucket": BUCKET, "prefix": "in/"}
    assert run_once(S3SourceTask(), props(), offsets) == []
    put(s3, "in/2024/03.jsonl", '{"n": 5}\n')  # a new object is picked up
    assert [r.value for r in run_once(S3SourceTask(), props(), offsets)] == [{"n": 5}]


def test_a_restart_resumes_in_the_middle_of_an_object(s3: object) -> None:
    put(s3, "in/a.jsonl", "".join(f'{{"n": {n}}}\n' for n in range(7)))
    put(s3, "in/b.jsonl", '{"n": 7}\n')
    offsets = Offsets()
    first = run_once(S3SourceTask(), props(), offsets, commit_first=3)  # crashed after committing 3 records
    assert len(first) == 8
    rest = run_once(S3SourceTask(), props(), offsets)
    assert [r.value["n"] for r in rest] == [3, 4, 5, 6, 7]


def test_csv_rows_become_structs(s3: object) -> None:
    put(s3, "in/people.csv", 'id,name,city\n1,Ada,"London, UK"\n2,"Grace ""Amazing"" Hopper",NYC\n')
    put(s3, "in/raw.csv", "x;y\n")
    offsets = Offsets()
    records = run_once(S3SourceTask(), props(**{"format": "csv", "s3.prefix": "in/people"}), offsets)
    assert [[r.value.get(f) for f in ("id", "name", "city")] for r in records] == [
        ["1", "Ada", "London, UK"], ["2", 'Grace "Amazing" Hopper', "NYC"]]  # fmt: skip
    assert [f.name for f in records[0].value_schema.fields] == ["id", "name", "city"]  # type: ignore[union-attr]
    assert records[-1].source_offset == {"key": "in/people.csv", "line": 2}
    headless = run_once(S3SourceTask(), props(**{"format": "csv", "csv.header": "false", "csv.delimiter": ";",
                                                 "s3.prefix": "in/raw"}), Offsets())  # fmt: skip
    assert [(r.value.get("column1"), r.value.get("column2")) for r in headless] == [("x", "y")]


def test_config_is_validated() -> None:
    errors = {v.name for v in S3SourceConnector().validate({"format": "xml"}) if v.errors}
    assert errors == {"s3.bucket.name", "topic", "format"}
