"""Read a connector definition as Kafka Connect accepts it: JSON `{"name", "config"}` or a `.properties` file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


class ConnectorFileError(ValueError):
    """The connector file cannot be read or has the wrong shape; the message names the file."""


@dataclass(frozen=True)
class ConnectorFile:
    name: str
    config: dict[str, str]


def load_connector_file(path: str | Path) -> ConnectorFile:
    """The connector's name and string config from a JSON (`{"name", "config"}` or a flat object) or
    Java properties file. Non-string JSON values become strings as Kafka Connect's REST API makes them."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConnectorFileError(f"{path}: cannot read: {exc}") from exc
    if path.suffix == ".properties" or not text.lstrip().startswith("{"):
        config = parse_properties(text)
    else:
        config = _json_config(path, text)
    name = config.get("name") or path.stem
    config.setdefault("name", name)
    return ConnectorFile(name, config)


def _json_config(path: Path, text: str) -> dict[str, str]:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ConnectorFileError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ConnectorFileError(f"{path}: expected a JSON object")
    if "config" in document:
        raw = document["config"]
        if not isinstance(raw, dict):
            raise ConnectorFileError(f"{path}: 'config' must be an object")
        config = {str(k): _text(v) for k, v in raw.items() if v is not None}
        if "name" in document:
            config.setdefault("name", str(document["name"]))
        return config
    return {str(k): _text(v) for k, v in document.items() if v is not None}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return orjson.dumps(value).decode() if isinstance(value, dict) else str(value)


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """Java `Properties.load`: `#`/`!` comments, `=`, `:` or space separators, `\\` continuations and escapes."""
    result: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        logical = line.lstrip()
        if not logical or logical[0] in "#!":
            continue
        while _continues(logical):
            logical = logical[:-1] + next(lines, "").lstrip()
        key, value = _split(logical)
        result[_unescape(key)] = _unescape(value)
    return result


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _split(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char in "=:" or char.isspace():
            key = line[:i]
            rest = line[i:].lstrip()
            if char.isspace() and rest[:1] in ("=", ":"):
                rest = rest[1:].lstrip()
            elif not char.isspace():
                rest = line[i + 1 :].lstrip()
            return key, rest
        i += 1
    return line, ""


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 == len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
            out.append(chr(int(text[i + 2 : i + 6], 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)
