"""Read a connector definition as Kafka Connect accepts it: JSON `{"name", "config"}` or a `.properties` file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from connectless.config.properties import parse_properties

__all__ = ["ConnectorFile", "ConnectorFileError", "load_connector_file", "parse_properties"]


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
