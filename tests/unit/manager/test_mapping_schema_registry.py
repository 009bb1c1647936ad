"""Issue 15, point 6: the manager never asks Lambda's event-source mapping to decode with a schema registry (no
`SchemaRegistryConfig`, in on-demand or provisioned mode, whatever the converters): the sink function gets each
record's bytes and the connector's own converters decode them (README, "Lambda's own schema registry support")."""

from __future__ import annotations

import pytest

from connectless.manager.backends.aws import AwsTargets, esm_request

AVRO_SINK = {
    "connector.class": "FileStreamSink",
    "topics": "orders",
    "value.converter": "io.confluent.connect.avro.AvroConverter",
    "value.converter.schema.registry.url": "http://registry:8081",
    "key.converter": "io.confluent.connect.protobuf.ProtobufConverter",
    "key.converter.schema.registry.url": "http://registry:8081",
}


@pytest.mark.parametrize("pollers", [{}, {"connectless.sink.maximum.pollers": "2"}], ids=["on-demand", "provisioned"])
def test_a_registry_converter_never_gives_the_mapping_a_schema_registry_config(pollers: dict[str, str]) -> None:
    targets = AwsTargets("src", "role", "sink", bootstrap_servers="b1:9092")
    request = esm_request("orders", "orders", "arn:alias", targets, {**AVRO_SINK, **pollers}, enabled=True)
    assert ("ProvisionedPollerConfig" in request) is bool(pollers)
    assert not any("SchemaRegistry" in key or "RecordFormat" in key for key in request)
