"""Schema-registry converters by Kafka Connect class name: Confluent's Avro, Protobuf and JSON Schema converters,
and AWS Glue Schema Registry's Avro, JSON Schema and Protobuf converters.

Importing this package registers them with the plugin registry. The heavy libraries (the registry client,
fastavro) load when a converter is configured, so a task that uses none of them does not pay for them.
"""

from connectless.converters.registry.avro_converter import AvroConverter
from connectless.converters.registry.client import RegistryUnavailableError, SchemaNotFoundError
from connectless.converters.registry.glue import (
    AWSKafkaAvroConverter,
    AWSKafkaJsonSchemaConverter,
    AWSKafkaProtobufConverter,
)
from connectless.converters.registry.json_schema_converter import JsonSchemaConverter
from connectless.converters.registry.protobuf_converter import ProtobufConverter

__all__ = [
    "AWSKafkaAvroConverter",
    "AWSKafkaJsonSchemaConverter",
    "AWSKafkaProtobufConverter",
    "AvroConverter",
    "JsonSchemaConverter",
    "ProtobufConverter",
    "RegistryUnavailableError",
    "SchemaNotFoundError",
]
