"""Byte equality with Apicurio Registry's own Java AvroConverter (apicurio-registry-utils-converter 2.4.2.Final from
Maven Central, Confluent-compatible ids: `as-confluent`, `use-id=contentId`, no headers) on the same registry: the
same Connect record gives the same bytes (schema id included, since both write the same Avro schema text), and each
side reads the other's."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from connectless.converters.registry import AvroConverter
from connectless.data.logical import TIMESTAMP_SCHEMA
from connectless.data.schema import FLOAT64_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, SchemaBuilder
from connectless.data.struct import Struct
from connectless_local.embedded_kafka import _find_java, _find_mvn
from connectless_local.jvm_process import cache_base, copy_dependencies, file_lock

SOURCES = Path(__file__).resolve().parent / "apicurio_converter"
MAIN = "ApicurioConverterCheck"

# The record the Java program writes (ApicurioConverterCheck.java), built here the same way.
SCHEMA = (
    SchemaBuilder.struct().name("com.example.Reading")
    .field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).field("note", OPTIONAL_STRING_SCHEMA)
    .field("temp", FLOAT64_SCHEMA).field("at", TIMESTAMP_SCHEMA)
    .field("tags", SchemaBuilder.array(STRING_SCHEMA).build())
    .build()
)  # fmt: skip
VALUE = (
    Struct(SCHEMA).put("id", 42).put("name", "probe-7").put("temp", 21.5)
    .put("at", dt.datetime(2025, 11, 24, 16, 0, 0, 123000, tzinfo=dt.UTC)).put("tags", ["a", "b"])
)  # fmt: skip


@pytest.fixture(scope="module")
def classpath() -> str:
    """The converter's jars (fetched with mvn) and the compiled program, cached per user by their sources' hash."""
    digest = hashlib.sha256(b"".join((SOURCES / n).read_bytes() for n in ("pom.xml", f"{MAIN}.java"))).hexdigest()
    root = cache_base() / f"apicurio-converter-check-{digest[:12]}"
    with file_lock(root.parent / f"{root.name}.lock"):
        if not (root / "classes" / f"{MAIN}.class").is_file():
            work = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
            code, jars, printed = copy_dependencies(_find_mvn(), SOURCES / "pom.xml", work / "libs")
            assert code == 0 and jars, f"mvn could not fetch Apicurio's converter:\n{printed}"
            javac = str(Path(_find_java()).with_name("javac"))
            javac = javac if Path(javac).exists() else (shutil.which("javac") or "javac")
            subprocess.run([javac, "-nowarn", "-cp", f"{work / 'libs'}/*", "-d", str(work / "classes"),
                            str(SOURCES / f"{MAIN}.java")], check=True, capture_output=True)  # fmt: skip
            shutil.rmtree(root, ignore_errors=True)
            work.rename(root)
    return f"{root / 'classes'}:{root / 'libs'}/*"


def java(classpath: str, *args: str) -> str:
    done = subprocess.run(
        [_find_java(), "-cp", classpath, MAIN, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_same_bytes_as_apicurios_java_avro_converter_and_each_reads_the_other(
    classpath: str, schema_registry_url: str
) -> None:
    native = schema_registry_url.replace("/apis/ccompat/v7", "/apis/registry/v2")
    topic = f"readings-{uuid.uuid4().hex[:8]}"
    theirs = base64.b64decode(java(classpath, "write", native, topic))
    converter = AvroConverter()
    converter.configure({"schema.registry.url": schema_registry_url}, False)
    ours = converter.from_connect_data(topic, SCHEMA, VALUE)
    assert ours == theirs
    back = converter.to_connect_data(topic, theirs)
    assert back.schema.version == 1  # the subject's version, as Confluent's converter sets it
    assert [back.value.get(f.name) for f in SCHEMA.fields] == [VALUE.get(f.name) for f in SCHEMA.fields]
    read = java(classpath, "read", native, topic, base64.b64encode(ours).decode())
    assert read.startswith("com.example.Reading Struct{id=42,name=probe-7,temp=21.5,")
