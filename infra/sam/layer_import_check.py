"""Imports the built layer in a clean interpreter, as Lambda does with /opt/python: `python -I THIS LAYER_DIR`.

Every module of connectless must import, the drivers of the built-in connectors included (the layer ships them:
psycopg with its binary libpq, PyMySQL, mysql-replication, opensearch-py); each handler of functions/*/app.py
must import too. Then every built-in connector class is started, with its task, from a sample config pointed at
systems that are not there (127.0.0.1:9, a closed port): a start that reaches for its system and finds nothing
passes, a start that misses a module (or any other error) fails the check, and so does a connector without a
sample config here. The CLI (cli/connectless_cli) and the local harness (connectless_local) are not in the
layer, and nothing in it imports them.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

OPTIONAL: set[str] = set()  # packages a module may need that the layer does not ship: none today
REQUIRED = ["confluent_kafka", "orjson", "aws_lambda_powertools", "boto3", "aws_msk_iam_sasl_signer", "aws_xray_sdk",
            "psycopg", "pymysql", "pymysqlreplication", "opensearchpy"]  # fmt: skip
NOWHERE = "127.0.0.1:9"  # the discard port: nothing listens there
JDBC_URLS = [f"jdbc:postgresql://{NOWHERE}/db?user=u&password=p", f"jdbc:mysql://{NOWHERE}/db?user=u&password=p"]


def sample_configs(tmp: Path) -> dict[str, list[dict[str, str]]]:
    """Per connector class, the configs it is started with (several: one per driver it may load)."""
    (tmp / "in.txt").write_text("a\n", encoding="utf-8")
    http = f"http://{NOWHERE}"
    return {
        "connectless.connectors.DatagenConnector": [{"kafka.topic": "t", "quickstart": "orders"}],
        "org.apache.kafka.connect.file.FileStreamSourceConnector": [{"file": str(tmp / "in.txt"), "topic": "t"}],
        "io.confluent.connect.jdbc.JdbcSourceConnector": [
            {"connection.url": url, "topic.prefix": "p-", "mode": "bulk", "table.whitelist": "orders"}
            for url in JDBC_URLS
        ],
        "connectless.connectors.S3SourceConnector": [{"s3.bucket.name": "b", "topic": "t", "s3.region": "us-east-1"}],
        "connectless.connectors.HttpSourceConnector": [
            {"http.url": f"{http}/items", "http.cursor.path": "id", "topic": "t"}
        ],  # fmt: skip
        "io.debezium.connector.mysql.MySqlConnector": [
            {
                "database.hostname": "127.0.0.1",
                "database.port": "9",
                "database.user": "u",
                "database.password": "p",
                "topic.prefix": "p",
            }
        ],  # fmt: skip
        "org.apache.kafka.connect.file.FileStreamSinkConnector": [{"file": str(tmp / "out.txt")}],
        "io.confluent.connect.jdbc.JdbcSinkConnector": [{"connection.url": url} for url in JDBC_URLS],
        "io.confluent.connect.s3.S3SinkConnector": [{"s3.bucket.name": "b", "s3.region": "us-east-1"}],
        "io.connectless.dynamodb.DynamoDbSinkConnector": [{"aws.dynamodb.region": "us-east-1"}],
        "io.connectless.http.HttpSinkConnector": [{"http.api.url": f"{http}/in"}],
        "connectless.connectors.NullSinkConnector": [{}],
        "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector": [{"connection.url": http}],
    }


def _unreachable(exc: BaseException) -> bool:
    """The start got as far as its system: a refused connection, as the driver (or botocore) reports it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ImportError):
            return False
        name = type(seen).__name__
        if isinstance(seen, OSError) or "Connection" in name or name == "OperationalError" or "refused" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def start_connectors(tmp: Path) -> tuple[list[str], list[str]]:
    """Start every built-in connector and its first task; returns (report lines, failures)."""
    from connectless.plugins import REGISTRY, PluginKind
    from connectless.runtime.contexts import RuntimeSinkTaskContext, RuntimeSourceTaskContext
    from connectless.storage import MemoryLog, OffsetStore, TaskOffsetReader

    samples = sample_configs(tmp)
    lines: list[str] = []
    failures: list[str] = []
    for kind in (PluginKind.SOURCE, PluginKind.SINK):
        for plugin in REGISTRY.all(kind):
            if plugin.cls.__module__.split(".")[0] != "connectless":
                continue  # not built in
            configs = samples.get(plugin.class_name)
            if configs is None:
                failures.append(f"{plugin.class_name}: no sample config in {Path(__file__).name}")
                continue
            for extra in configs:
                config = {"name": "layer-check", "connector.class": plugin.class_name, "tasks.max": "1",
                          **({"topics": "t"} if kind is PluginKind.SINK else {}), **extra}  # fmt: skip
                label = f"{plugin.class_name.rsplit('.', 1)[-1]}({config.get('connection.url', '')})"
                connector = task = None
                try:
                    connector = plugin.cls()
                    connector.start(config)
                    task_config = connector.task_configs(1)[0]
                    task = connector.task_class()()
                    if kind is PluginKind.SOURCE:
                        offsets = OffsetStore(MemoryLog())
                        offsets.start()
                        task.initialize(RuntimeSourceTaskContext(task_config, TaskOffsetReader(offsets, "layer-check")))
                    else:
                        task.initialize(RuntimeSinkTaskContext(task_config))
                    task.start(task_config)
                    lines.append(f"  started: {label}")
                except Exception as exc:  # noqa: BLE001 - classified below
                    if _unreachable(exc):
                        lines.append(f"  started up to its system (not here): {label}: {type(exc).__name__}")
                    else:
                        failures.append(f"{label} did not start: {exc!r}")
                finally:
                    for part in (task, connector):
                        try:
                            if part is not None:
                                part.stop()
                        except Exception:  # noqa: BLE001, S110 - a half-started part may not stop cleanly
                            pass
    return lines, failures


def native_check() -> list[str]:
    """connectless.native's C extension loads from the layer (make native builds it for python3.13: x86_64 for
    this check, arm64 for Lambda)."""
    from connectless import native

    return [] if native.records is not None else ["connectless.native's C extension did not load: run make native"]


def main(layer: str, functions: str) -> int:
    sys.path.insert(0, layer)
    failures: list[str] = []
    optional: list[str] = []
    for name in REQUIRED:
        importlib.import_module(name)
    import connectless

    if not connectless.__file__ or not connectless.__file__.startswith(str(Path(layer).resolve())):
        failures.append(f"connectless came from {connectless.__file__}, not from the layer")
    failures += native_check()
    modules = [m.name for m in pkgutil.walk_packages(connectless.__path__, "connectless.")]
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            if (exc.name or "").split(".")[0] in OPTIONAL:
                optional.append(f"{name} (needs {exc.name})")
            else:
                failures.append(f"{name}: {exc!r}")
        except Exception as exc:  # noqa: BLE001 - any import-time error fails the check
            failures.append(f"{name}: {exc!r}")
    handlers = sorted(Path(functions).glob("*/app.py"))
    for path in handlers:
        spec = importlib.util.spec_from_file_location(f"handler_{path.parent.name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            if not callable(getattr(module, "lambda_handler", None)):
                failures.append(f"{path}: no lambda_handler")
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{path}: {exc!r}")
    try:  # the web console's page is package data: the layer must carry it (the API function serves /ui)
        from connectless.rest.console import console_page

        if "function connectorView" not in console_page():
            failures.append("connectless.rest.console: the console page is incomplete")
    except Exception as exc:  # noqa: BLE001
        failures.append(f"connectless/rest/ui (the console page): {exc!r}")
    import os
    import tempfile

    # botocore clients of the AWS connectors: credentials that sign, an endpoint that is not there
    os.environ.update(AWS_ACCESS_KEY_ID="layer-check", AWS_SECRET_ACCESS_KEY="layer-check",
                      AWS_ENDPOINT_URL=f"http://{NOWHERE}", AWS_MAX_ATTEMPTS="1")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        started, start_failures = start_connectors(Path(tmp))
    failures += start_failures
    print(f"layer {layer}: {len(modules)} modules, {len(handlers)} handlers, Python {sys.version.split()[0]}")
    for line in optional:
        print(f"  optional, not in the layer: {line}")
    for line in started:
        print(line)
    for line in failures:
        print(f"  FAILED {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
