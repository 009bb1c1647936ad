"""The library's stdlib logs go through the function's Powertools Logger: one JSON stream, one level."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aws_lambda_powertools import Logger

from connectless.logs import LIBRARY_LOGGER, join_library_logs


@pytest.fixture
def library_logger() -> Iterator[logging.Logger]:
    library = logging.getLogger(LIBRARY_LOGGER)
    saved = (library.handlers[:], library.level, library.propagate)
    yield library
    library.handlers, library.propagate = saved[0], saved[2]
    library.setLevel(saved[1])


def test_library_logs_come_out_as_the_loggers_json(library_logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger = join_library_logs(
        Logger(service="connectless-sink", level="INFO", logger_handler=logging.StreamHandler(stream))
    )
    logging.getLogger("connectless.some.module").info("flushed %d records", 3)
    logging.getLogger("connectless.some.module").debug("below the Logger's level")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["message"], line["level"], line["service"], line["name"]) for line in lines] == [
        ("flushed 3 records", "INFO", "connectless-sink", "connectless.some.module")
    ]
    assert logger.name == "connectless-sink"
    assert library_logger.propagate is False  # no second, plain-text copy through the root logger
