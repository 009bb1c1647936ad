"""The library logs through the function's Powertools Logger, so CloudWatch gets one JSON stream.

The library writes to stdlib loggers (`logging.getLogger(__name__)` under `connectless`); a Lambda handler joins
them to its Logger once, at import, with Powertools' copy_config_to_registered_loggers: the `connectless` logger
takes the Logger's handler, JSON formatter and level, and every library logger propagates to it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

LIBRARY_LOGGER = "connectless"


def join_library_logs(logger: Logger) -> Logger:
    """Route the library's logs through `logger` (its handler, format and level); returns `logger`.

    Example:
        logger = join_library_logs(Logger(service="connectless-sink"))
    """
    logging.getLogger(LIBRARY_LOGGER)  # registered even before any library module has logged
    copy_config_to_registered_loggers(source_logger=logger, include={LIBRARY_LOGGER})
    return logger
