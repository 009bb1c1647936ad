"""Every built-in connector, one line each: its class, the harness that configures it and reads what it did, and
what it documents for a tombstone (sinks). A check that cannot apply to a connector is named in `skip` with the
reason, so it shows in the test report as skipped rather than passing silently.

A new connector joins by adding its line here (and, when no existing harness fits, a small harness in
conformance_harness.py); test_every_registered_connector_has_a_case fails until it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import conformance_harness as h

NOTHING_TO_READ = "the null sink keeps nothing: only its committed offsets and its status can be checked"


@dataclass(frozen=True)
class ConnectorCase:
    connector_class: str
    harness: type[h.Harness]
    tombstone: str = ""  # sinks: "delete" (the row/item/document goes) or "keep" (skipped, the row stays)
    skip: dict[str, str] = field(default_factory=dict)  # check name -> why it does not apply

    @property
    def id(self) -> str:
        return self.connector_class.rsplit(".", 1)[-1]

    @property
    def is_sink(self) -> bool:
        return issubclass(self.harness, h.SinkHarness)


CASES: list[ConnectorCase] = [
    ConnectorCase("connectless.connectors.DatagenConnector", h.DatagenHarness),
    ConnectorCase("org.apache.kafka.connect.file.FileStreamSourceConnector", h.FileSourceHarness),
    ConnectorCase("io.confluent.connect.jdbc.JdbcSourceConnector", h.JdbcSourceHarness),
    ConnectorCase("connectless.connectors.S3SourceConnector", h.S3SourceHarness),
    ConnectorCase("connectless.connectors.HttpSourceConnector", h.HttpSourceHarness),
    ConnectorCase("io.debezium.connector.mysql.MySqlConnector", h.MySqlCdcHarness),
    ConnectorCase("org.apache.kafka.connect.file.FileStreamSinkConnector", h.FileSinkHarness, tombstone="keep"),
    ConnectorCase(
        "connectless.connectors.NullSinkConnector",
        h.NullSinkHarness,
        tombstone="keep",
        skip={"read back": NOTHING_TO_READ},
    ),  # fmt: skip
    ConnectorCase("io.confluent.connect.jdbc.JdbcSinkConnector", h.JdbcSinkHarness, tombstone="delete"),
    ConnectorCase("io.confluent.connect.s3.S3SinkConnector", h.S3SinkHarness, tombstone="keep"),
    ConnectorCase("io.connectless.dynamodb.DynamoDbSinkConnector", h.DynamoDbSinkHarness, tombstone="delete"),
    ConnectorCase("io.connectless.http.HttpSinkConnector", h.HttpSinkHarness, tombstone="keep"),
    ConnectorCase(
        "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", h.OpenSearchSinkHarness, tombstone="delete"
    ),  # fmt: skip
]
SOURCES = [c for c in CASES if not c.is_sink]
SINKS = [c for c in CASES if c.is_sink]
