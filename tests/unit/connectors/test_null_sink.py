"""The null sink: found by its aliases, validated by its ConfigDef, counts what it discards."""

from __future__ import annotations

import pytest

from connectless.connector_config import check_connector_config, find_connector
from connectless.connectors.null_sink import NullSinkConnector, NullSinkTask
from connectless.records import SinkRecord


@pytest.mark.parametrize("alias", ["Null", "NullSink", "NullSinkConnector", "connectless.connectors.NullSinkConnector"])
def test_found_by_every_alias(alias: str) -> None:
    assert find_connector(alias).cls is NullSinkConnector


def test_config_is_validated() -> None:
    ok = check_connector_config({"name": "n", "connector.class": "Null", "topics": "t"}, "n")
    assert ok.plugin is not None and ok.plugin.cls is NullSinkConnector
    with pytest.raises(Exception, match=r"null\.log\.every\.records"):
        check_connector_config(
            {"name": "n", "connector.class": "Null", "topics": "t", "null.log.every.records": "-1"}, "n"
        )


def test_counts_records_and_tombstones() -> None:
    task = NullSinkTask()
    task.start({"null.log.every.records": "2"})
    task.put([SinkRecord("t", 0, None, None, None, {"a": 1}, kafka_offset=0),
              SinkRecord("t", 0, None, b"k", None, None, kafka_offset=1)])  # fmt: skip
    task.flush({})
    task.stop()
    assert (task.records, task.tombstones, task.flushes) == (2, 1, 1)
