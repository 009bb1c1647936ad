"""Comparing the two answers: exit status, records, and error lines (stage and exception class).

Exception classes are compared through their Kafka Connect names: Connectless's exceptions say which Kafka
Connect exception they stand for. Messages are not compared (each side words its own).

Floats: Connectless prints them as Java 19+ does (Float/Double.toString give the shortest digits that name the
value). On an older JVM (Java 17) Kafka prints more or other digits for the same value (JDK-4511638, fixed in
Java 19): there a number still counts as the same when both texts name the same double, or, printed with at most
9 digits, the same float.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
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
    # Where Kafka throws Java's own IllegalArgumentException, Connectless raises Python's ValueError.
    "ValueError": "java.lang.IllegalArgumentException",
    "IndexError": "java.lang.IndexOutOfBoundsException",
}

# Deliberate differences, each listed in docs/compatibility.md: (Kafka Connect's exception, ours) at one stage.
# Where Kafka fails with a NullPointerException (a missing check), Connectless fails the same record with a
# DataError that names the problem.
SAME_FAILURE = {("java.lang.NullPointerException", "org.apache.kafka.connect.errors.DataException")}

# Known gaps of Connectless (docs/compatibility.md): where Connectless fails a record Kafka takes.
KNOWN_GAPS = (
    # Python's dates run from year 1 to 9999; Java's Date reaches 292 million years either side.
    "outside the years 1 to 9999",
)

# Kafka Connect bugs Connectless does not copy (docs/compatibility.md): Kafka fails the record, Connectless
# goes on. A case is compared up to the first record Kafka fails this way.
KAFKA_BUGS = {
    # SetSchemaMetadata on a non-struct schema: it reads the key/value schema of maps and arrays, then calls
    # Schema#fields(), which throws for every non-struct schema.
    ("TRANSFORMATION", "org.apache.kafka.connect.errors.DataException", "Cannot list fields on non-struct type"),
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
            where = {"stage": error["stage"], "class": error.get("class"), "exception": exception}
            lines.append({"error": where, "input_offset": line["input_offset"]})
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
    if isinstance(shown, dict) and "unserializable" in shown:
        return {"unserializable": JAVA_NAMES.get(shown["unserializable"], shown["unserializable"])}
    if not isinstance(shown, str):
        return shown
    try:
        document = json.loads(shown, parse_float=_float, parse_int=_int)
    except ValueError:
        return _map_text(shown)
    if isinstance(document, dict) and set(document) == {"schema", "payload"}:
        schema = document["schema"]
        return ("envelope", _canonical(schema, None), _canonical(document["payload"], schema))
    return ("json", _canonical(document, None))


def _canonical(node: Any, schema: Any) -> Any:
    """A comparable form: object keys sorted, and a map's entries in any order (maps are unordered in Connect;
    Kafka reads them into a HashMap)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "float" and isinstance(node, tuple) and node[0] == "float":
        # Float32 text: JDK 17's Float.toString may write more digits than the shortest (JDK 19+, Connectless).
        return ("float", repr(struct.unpack(">f", struct.pack(">f", float(node[1])))[0]))
    if isinstance(node, dict):
        if kind == "struct":
            fields = {f.get("field"): f for f in schema.get("fields", [])}
            return ("object", sorted((k, _canonical(v, fields.get(k))) for k, v in node.items()))
        values = schema.get("values") if kind == "map" else None
        return ("object", sorted((k, _canonical(v, values)) for k, v in node.items()))
    if isinstance(node, list):
        if kind == "map":
            pairs = [(_canonical(p[0], schema.get("keys")), _canonical(p[1], schema.get("values"))) for p in node]
            return ("map", sorted(pairs, key=repr))
        items = schema.get("items") if kind == "array" else None
        return ("array", [_canonical(item, items) for item in node])
    return node


def _map_text(text: str) -> Any:
    """A map printed as text (`{0:0,1:0}` by Values, `{0=0, 1=0}` by Map#toString) as its entries in any order:
    Kafka's map is a HashMap, printed in hash order (docs/compatibility.md)."""
    if not (text.startswith("{") and text.endswith("}")):
        return text
    entries, depth, quoted, start = [], 0, False, 1
    for index, char in enumerate(text[1:-1], start=1):
        if char == '"' and text[index - 1] != "\\":
            quoted = not quoted
        elif not quoted and char in "[{":
            depth += 1
        elif not quoted and char in "]}":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            entries.append(text[start:index].strip())
            start = index + 1
    entries.append(text[start:-1].strip())
    return ("map-text", sorted(entries))


def differences(case: dict[str, Any], connectless: dict[str, Any], kafka_connect: dict[str, Any]) -> str | None:
    """None when both sides agree, else a report naming the case and both answers."""
    ours, theirs = normalized(connectless), normalized(kafka_connect)
    for index in range(min(len(connectless["lines"]), len(kafka_connect["lines"]))):
        error, mine = kafka_connect["lines"][index].get("error"), connectless["lines"][index].get("error")
        kafka_bug = error and (error["stage"], error["exception"], error["message"]) in KAFKA_BUGS
        our_gap = mine and any(gap in mine["message"] for gap in KNOWN_GAPS)
        if kafka_bug or our_gap:
            ours = {"exit": None, "lines": ours["lines"][:index]}
            theirs = {"exit": None, "lines": theirs["lines"][:index]}
            break
    for mine, other in zip(ours["lines"], theirs["lines"], strict=False):
        if "error" in mine and "error" in other:
            pair = (other["error"]["exception"], mine["error"]["exception"])
            if pair in SAME_FAILURE and mine["error"]["stage"] == other["error"]["stage"]:
                mine["error"]["exception"] = other["error"]["exception"]
    old_jdk = kafka_connect.get("java", SHORTEST_FLOATS_JAVA) < SHORTEST_FLOATS_JAVA
    shared = len(ours["lines"])  # lines past either side's end stay as they are: the line counts must agree
    theirs["lines"] = [
        *(_reconcile(mine, other, old_jdk) for mine, other in zip(ours["lines"], theirs["lines"], strict=False)),
        *theirs["lines"][shared:],
    ]
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
    return ("float", repr(float(text)), text)


SHORTEST_FLOATS_JAVA = 19  # Float/Double.toString print the shortest digits from this Java version on
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?(?:E-?\d+)?)")


def _reconcile(ours: Any, theirs: Any, old_jdk: bool) -> Any:
    """`theirs` with each float (and, on an old JDK, each text) that names the same number as ours replaced by ours.

    JSON floats agree when they are the same double (`1e+23` is `1.0E23`); on a JDK before 19 also as `_same_number`
    says, and so do numbers inside plain text (a header `{a=4.8293271327696968E16}`)."""
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs) == 3 and ours[0] == "float":
        same = theirs[0] == "float" and (ours[1] == theirs[1] or (old_jdk and _same_number(theirs[2], ours[2])))
        return ours if same else theirs
    if isinstance(ours, str) and isinstance(theirs, str):
        return ours if old_jdk and _same_text(theirs, ours) else theirs
    if isinstance(ours, dict) and isinstance(theirs, dict) and ours.keys() == theirs.keys():
        return {key: _reconcile(ours[key], theirs[key], old_jdk) for key in theirs}
    if type(ours) is type(theirs) and isinstance(ours, list | tuple) and len(ours) == len(theirs):
        return type(theirs)(_reconcile(a, b, old_jdk) for a, b in zip(ours, theirs, strict=True))
    return theirs


def _same_number(java17: str, shortest: str) -> bool:
    """Java 17 printed `java17` where Java 19+ prints `shortest`: the same double, or a float printed as a float."""
    if "." not in java17 or "." not in shortest:  # Float/Double.toString always print a point; integers must match
        return java17 == shortest
    if java17.startswith("-") != shortest.startswith("-"):  # -0.0 is not 0.0
        return False
    if float(java17) == float(shortest):
        return True
    single = all(len(re.sub(r"\D", "", t.split("E")[0]).strip("0")) <= 9 for t in (java17, shortest))
    return single and _as_float32(java17) == _as_float32(shortest)


def _as_float32(text: str) -> float:
    return float(struct.unpack(">f", struct.pack(">f", float(text)))[0])


def _same_text(java17: str, shortest: str) -> bool:
    if java17 == shortest:
        return True
    theirs, ours = _NUMBER.split(java17), _NUMBER.split(shortest)
    if len(theirs) != len(ours) or theirs[::2] != ours[::2]:
        return False
    return all(_same_number(a, b) for a, b in zip(theirs[1::2], ours[1::2], strict=True))


def _int(text: str) -> Any:
    return ("int", int(text))
