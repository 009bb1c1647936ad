"""Comparing the two answers: exit status, records, and error lines (stage and exception class).

Exception classes are compared through their Kafka Connect names: Connectless's exceptions say which Kafka
Connect exception they stand for. Messages are not compared (each side words its own).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import orjson

# Connectless exception (Python import path) -> the Kafka Connect exception it stands for.
JAVA_NAMES = {
    "connectless.data.errors.DataError": "org.apache.kafka.connect.errors.DataException",
    "connectless.data.errors.SchemaBuilderError": "org.apache.kafka.connect.errors.SchemaBuilderException",
    "connectless.config.errors.ConfigError": "org.apache.kafka.common.config.ConfigException",
    "connectless.errors.exceptions.ConnectError": "org.apache.kafka.connect.errors.ConnectException",
    "connectless.errors.exceptions.RetriableError": "org.apache.kafka.connect.errors.RetriableException",
}

CORPUS = Path(__file__).parent / "corpus"


def normalized(answer: dict[str, Any]) -> dict[str, Any]:
    """What must agree: the exit status and each line, error lines without their message.

    Text that is JSON is compared as the JSON value it spells (see docs/compatibility.md: Jackson writes
    1.0E300 where Python writes 1e+300, escapes characters beyond the BMP, and orders a schemaless map's keys
    by hash), with integers and floats told apart and -0.0 kept apart from 0.0.
    """
    lines: list[Any] = []
    for line in answer["lines"]:
        if "error" in line:
            error = line["error"]
            exception = JAVA_NAMES.get(error["exception"], error["exception"])
            lines.append({"error": {"stage": error["stage"], "exception": exception}, "input_offset": line["input_offset"]})
        else:
            lines.append(
                {
                    **line,
                    "key": _data(line["key"]),
                    "value": _data(line["value"]),
                    "headers": [[name, _data(data)] for name, data in line["headers"]],
                }
            )
    return {"exit": answer["exit"], "lines": lines}


def _data(shown: Any) -> Any:
    if not isinstance(shown, str):
        return shown
    try:
        return ("json", json.loads(shown, parse_float=_float, parse_int=_int, object_pairs_hook=_sorted))
    except ValueError:
        return shown


def _sorted(pairs: list[tuple[str, Any]]) -> Any:
    return ("object", sorted(pairs, key=lambda p: p[0]))


def differences(case: dict[str, Any], connectless: dict[str, Any], kafka_connect: dict[str, Any]) -> str | None:
    """None when both sides agree, else a report naming the case and both answers."""
    ours, theirs = normalized(connectless), normalized(kafka_connect)
    if ours == theirs:
        return None
    return (
        "Connectless and Kafka Connect disagree\n"
        f"case: {orjson.dumps(case).decode()}\n"
        f"connectless:   {orjson.dumps(connectless).decode()}\n"
        f"kafka connect: {orjson.dumps(kafka_connect).decode()}"
    )


def save_case(case: dict[str, Any], test_name: str) -> Path:
    """Write a case that found a difference as corpus/new-<test>.json (hypothesis replays the smallest last)."""
    CORPUS.mkdir(exist_ok=True)
    path = CORPUS / f"new-{test_name}.json"
    path.write_bytes(orjson.dumps(case, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    return path


def case_id(case: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(case, option=orjson.OPT_SORT_KEYS)).hexdigest()[:10]


def _float(text: str) -> Any:
    return ("float", repr(float(text)))


def _int(text: str) -> Any:
    return ("int", int(text))
