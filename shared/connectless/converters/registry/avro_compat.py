"""Can data written with one Avro schema be read with another? Avro's schema-resolution rules, as a list of why not.

Used for `latest.compatibility.strict`: the subject's latest schema (the reader) must read what the converter's own
schema (the writer) describes, as Confluent checks before writing with `use.latest.version`.
"""

from __future__ import annotations

from typing import Any

_PROMOTIONS = {
    "int": {"int", "long", "float", "double"},
    "long": {"long", "float", "double"},
    "float": {"float", "double"},
    "double": {"double"},
    "string": {"string", "bytes"},
    "bytes": {"bytes", "string"},
}
_NAMED = ("record", "error", "enum", "fixed")


def _collect(avro: Any, named: dict[str, Any], namespace: str | None = None) -> None:
    """Every named type defined in `avro`, by full and simple name."""
    if isinstance(avro, list):
        for member in avro:
            _collect(member, named, namespace)
    elif isinstance(avro, dict):
        kind = avro.get("type")
        if kind in _NAMED:
            name = str(avro["name"])
            space = avro.get("namespace", namespace)
            full = name if "." in name or not space else f"{space}.{name}"
            named[full] = avro
            named.setdefault(full.rsplit(".", 1)[-1], avro)
            namespace = full.rpartition(".")[0] or None
        for key in ("fields",):
            for f in avro.get(key, []):
                _collect(f.get("type"), named, namespace)
        for key in ("items", "values"):
            if key in avro:
                _collect(avro[key], named, namespace)
        if isinstance(kind, dict | list):
            _collect(kind, named, namespace)


def _kind(avro: Any) -> str:
    if isinstance(avro, list):
        return "union"
    if isinstance(avro, dict):
        kind = avro.get("type")
        return _kind(kind) if isinstance(kind, dict | list) else str(kind)
    return str(avro)


def incompatibilities(*, reader: Any, writer: Any) -> list[str]:
    """Why `reader` cannot read data written with `writer` (empty: it can)."""
    named_r: dict[str, Any] = {}
    named_w: dict[str, Any] = {}
    _collect(reader, named_r)
    _collect(writer, named_w)
    problems: list[str] = []
    _check(reader, writer, named_r, named_w, "/", problems, set())
    return problems


def _resolve(avro: Any, named: dict[str, Any]) -> Any:
    while True:
        if isinstance(avro, str) and avro in named:
            avro = named[avro]
        elif isinstance(avro, dict) and isinstance(avro.get("type"), dict | list | str) and avro["type"] in named:
            avro = named[avro["type"]]
        elif isinstance(avro, dict) and isinstance(avro.get("type"), dict | list):
            avro = avro["type"]
        else:
            return avro


def _check(  # noqa: C901, PLR0912 - one rule per Avro type
    reader: Any,
    writer: Any,
    named_r: dict[str, Any],
    named_w: dict[str, Any],
    path: str,
    problems: list[str],
    seen: set[tuple[str, str]],
) -> None:
    reader, writer = _resolve(reader, named_r), _resolve(writer, named_w)
    rk, wk = _kind(reader), _kind(writer)
    if wk == "union":
        for member in writer:
            _check(reader, member, named_r, named_w, path, problems, seen)
        return
    if rk == "union":
        for member in reader:
            attempt: list[str] = []
            _check(member, writer, named_r, named_w, path, attempt, seen)
            if not attempt:
                return
        problems.append(f"reader union at {path} has no branch for writer type {wk}")
        return
    if wk in _PROMOTIONS:
        if rk not in _PROMOTIONS[wk]:
            problems.append(f"reader type {rk} not compatible with writer type {wk} at {path}")
        return
    if rk != wk:
        problems.append(f"reader type {rk} not compatible with writer type {wk} at {path}")
        return
    if rk in _NAMED:
        rname, wname = str(reader["name"]).rsplit(".", 1)[-1], str(writer["name"]).rsplit(".", 1)[-1]
        if rname != wname and wname not in reader.get("aliases", []):
            problems.append(f"reader name {rname} does not match writer name {wname} at {path}")
            return
        if (rname, path) in seen:  # recursive types: checked once
            return
        seen.add((rname, path))
    if rk in ("record", "error"):
        written = {f["name"]: f for f in writer.get("fields", [])}
        for f in reader.get("fields", []):
            source = written.get(f["name"]) or next((written[a] for a in f.get("aliases", []) if a in written), None)
            if source is None:
                if "default" not in f:
                    problems.append(f"reader field {f['name']} at {path} has no default and is missing in the writer")
            else:
                _check(f["type"], source["type"], named_r, named_w, f"{path}{f['name']}/", problems, seen)
    elif rk == "enum":
        missing = [s for s in writer.get("symbols", []) if s not in reader.get("symbols", [])]
        if missing and "default" not in reader:
            problems.append(f"reader enum at {path} lacks writer symbols {missing}")
    elif rk == "fixed":
        if reader.get("size") != writer.get("size"):
            problems.append(f"fixed size {reader.get('size')} differs from writer's {writer.get('size')} at {path}")
    elif rk == "array":
        _check(reader["items"], writer["items"], named_r, named_w, f"{path}items/", problems, seen)
    elif rk == "map":
        _check(reader["values"], writer["values"], named_r, named_w, f"{path}values/", problems, seen)
