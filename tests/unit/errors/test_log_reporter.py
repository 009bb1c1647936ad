from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from connectless.errors import ErrorsConfig, LogReporter, ProcessingContext, Stage
from connectless.raw_records import RawRecord
from connectless.records import SourceRecord

if TYPE_CHECKING:
    import pytest

LOGGER = "connectless.errors.reporters"


class JsonConverter:
    pass


def fail(raw: RawRecord | None = None, source: SourceRecord | None = None) -> ProcessingContext:
    try:
        raise ValueError("Unexpected character at 0")
    except ValueError as error:
        return ProcessingContext(Stage.VALUE_CONVERTER, JsonConverter, error, 1, raw, source)


RAW = RawRecord("orders", 3, 42, 1_700_000_000_000, "CreateTime", b"secret-key", b"secret-value", (("h", b"hv"),))


def test_message_matches_kafka_connect(caplog: pytest.LogCaptureFixture) -> None:
    reporter = LogReporter("pg-sink", 0, ErrorsConfig(log_enable=True))
    with caplog.at_level(logging.ERROR, LOGGER):
        reporter.report(fail(RAW))
    (entry,) = caplog.records
    assert entry.levelno == logging.ERROR
    assert entry.getMessage() == (
        "Error encountered in task pg-sink-0. Executing stage 'VALUE_CONVERTER' with class "
        f"'{__name__}.JsonConverter', where consumed record is {{topic='orders', partition=3, offset=42}}."
    )
    assert entry.exc_info is not None
    assert entry.exc_info[0] is ValueError


def test_no_record_content_without_include_messages(caplog: pytest.LogCaptureFixture) -> None:
    source = SourceRecord("orders", None, None, "secret-key", None, "secret-value")
    reporter = LogReporter("c", 1, ErrorsConfig(log_enable=True))
    with caplog.at_level(logging.ERROR, LOGGER):
        reporter.report(fail(RAW))
        reporter.report(fail(source=source))
    assert "secret" not in caplog.text
    assert caplog.records[1].getMessage().endswith(f"with class '{__name__}.JsonConverter'.")


def test_include_messages_adds_timestamp_and_source_record(caplog: pytest.LogCaptureFixture) -> None:
    source = SourceRecord("orders", None, None, "secret-key", None, "secret-value")
    reporter = LogReporter("c", 1, ErrorsConfig(log_enable=True, log_include_messages=True))
    with caplog.at_level(logging.ERROR, LOGGER):
        reporter.report(fail(RAW))
        reporter.report(fail(source=source))
    first, second = (r.getMessage() for r in caplog.records)
    assert first.endswith(
        "{topic='orders', partition=3, offset=42, timestamp=1700000000000, timestampType=CreateTime}."
    )
    assert "secret-value" in second
    assert "where source record is = SourceRecord(" in second
