"""`/admin/loggers`: Python's logging levels under Kafka Connect's (log4j) names."""

from __future__ import annotations

import logging
import time
from typing import Any

from connectless.manager.errors import BadRequestError
from connectless.rest.errors import NotFoundError

ROOT = "root"
_TO_PYTHON = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "OFF": logging.CRITICAL + 10,
}
_FROM_PYTHON = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN", logging.ERROR: "ERROR",
                logging.CRITICAL: "FATAL", logging.CRITICAL + 10: "OFF"}  # fmt: skip
_last_modified: dict[str, int] = {}


def _logger(name: str) -> logging.Logger | None:
    if name == ROOT:
        return logging.getLogger()
    found = logging.Logger.manager.loggerDict.get(name)
    return found if isinstance(found, logging.Logger) else None


def _level_json(name: str, logger: logging.Logger) -> dict[str, Any]:
    level = logger.getEffectiveLevel()
    return {"level": _FROM_PYTHON.get(level, logging.getLevelName(level)), "last_modified": _last_modified.get(name)}


def all_levels() -> dict[str, dict[str, Any]]:
    """The root logger and every logger with a level of its own."""
    levels = {ROOT: _level_json(ROOT, logging.getLogger())}
    for name, logger in sorted(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels[name] = _level_json(name, logger)
    return levels


def get_level(name: str) -> dict[str, Any]:
    logger = _logger(name)
    if logger is None:
        raise NotFoundError(f"Logger {name} not found.")
    return _level_json(name, logger)


def set_level(name: str, body: Any) -> list[str]:
    """Set `name` and every logger below it; returns the names changed."""
    level = body.get("level") if isinstance(body, dict) else None
    if not isinstance(level, str) or level.upper() not in _TO_PYTHON:
        raise BadRequestError(f"Invalid log level '{level}'.")
    value = _TO_PYTHON[level.upper()]
    names = [name] + sorted(
        n for n, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger) and (name == ROOT or n.startswith(name + ".")) and lg.level != logging.NOTSET
    )  # fmt: skip
    now = int(time.time() * 1000)
    for each in names:
        (logging.getLogger() if each == ROOT else logging.getLogger(each)).setLevel(value)
        _last_modified[each] = now
    return names
