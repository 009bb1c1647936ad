"""The .proto files every Protobuf schema may import without a registry reference, as Confluent treats them.

Confluent's serializers and ProtobufData count google/protobuf/*, google/type/* and confluent/* as built in: a
schema imports them with no reference, and each side brings its own copy. Here they come from the libraries that
ship them compiled: protobuf (google/protobuf), googleapis-common-protos (google/type) and confluent-kafka
(confluent/meta.proto, confluent/type/decimal.proto).
"""

from __future__ import annotations

import importlib
from typing import Any

from connectless.data.errors import DataError

_PACKAGES = {
    "google/protobuf/": "google.protobuf.",
    "google/type/": "google.type.",
    "confluent/": "confluent_kafka.schema_registry.confluent.",
}


def is_builtin(name: str) -> bool:
    return any(name.startswith(prefix) for prefix in _PACKAGES)


def file_proto(name: str) -> Any:
    """The FileDescriptorProto of one built-in file, e.g. google/type/date.proto."""
    from google.protobuf import descriptor_pb2

    prefix = next((p for p in _PACKAGES if name.startswith(p)), None)
    if prefix is None or not name.endswith(".proto"):
        raise DataError(f"Unknown Protobuf import {name}")
    module = _PACKAGES[prefix] + name[len(prefix) : -len(".proto")].replace("/", ".") + "_pb2"
    try:
        found = importlib.import_module(module).DESCRIPTOR
    except ImportError as exc:
        raise DataError(f"Unknown Protobuf import {name} (no module {module})") from exc
    if found.name != name:
        raise DataError(f"Unknown Protobuf import {name} (module {module} holds {found.name})")
    proto = descriptor_pb2.FileDescriptorProto()
    found.CopyToProto(proto)
    return proto


def add_to(pool: Any, name: str, added: set[str]) -> None:
    """Add built-in file `name` and the built-in files it imports to `pool`, each once."""
    if name in added:
        return
    proto = file_proto(name)
    for dependency in proto.dependency:
        add_to(pool, dependency, added)
    pool.Add(proto)
    added.add(name)
