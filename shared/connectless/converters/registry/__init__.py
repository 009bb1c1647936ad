"""Schema-registry converters: Confluent's Avro, Protobuf and JSON Schema converters, by Kafka Connect class name.

Importing this package registers them with the plugin registry. The heavy libraries (the registry client,
fastavro) load when a converter is configured, so a task that uses none of them does not pay for them.
"""

from connectless.converters.registry.avro_converter import AvroConverter
from connectless.converters.registry.client import RegistryUnavailableError, SchemaNotFoundError
from connectless.converters.registry.json_schema_converter import JsonSchemaConverter

__all__ = ["AvroConverter", "JsonSchemaConverter", "RegistryUnavailableError", "SchemaNotFoundError"]
