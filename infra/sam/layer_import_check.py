"""Imports the built layer in a clean interpreter, as Lambda does with /opt/python: `python -I THIS LAYER_DIR`.

Every module of connectless must import, except those whose only missing import is an optional dependency that
the layer does not ship (database drivers); each handler of functions/*/app.py must import too. The CLI
(cli/connectless_cli) and the local harness (connectless_local) are not in the layer, and nothing in it imports them.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

OPTIONAL = {"psycopg", "pymysql", "pymysqlreplication", "opensearchpy"}
REQUIRED = ["confluent_kafka", "orjson", "aws_lambda_powertools", "boto3", "aws_msk_iam_sasl_signer", "aws_xray_sdk"]


def main(layer: str, functions: str) -> int:
    sys.path.insert(0, layer)
    failures: list[str] = []
    optional: list[str] = []
    for name in REQUIRED:
        importlib.import_module(name)
    import connectless

    if not connectless.__file__ or not connectless.__file__.startswith(str(Path(layer).resolve())):
        failures.append(f"connectless came from {connectless.__file__}, not from the layer")
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
    print(f"layer {layer}: {len(modules)} modules, {len(handlers)} handlers, Python {sys.version.split()[0]}")
    for line in optional:
        print(f"  optional, not in the layer: {line}")
    for line in failures:
        print(f"  FAILED {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
