"""Kafka Connect's REST API behind API Gateway: Powertools' event handler over connectless.rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from connectless.logs import join_library_logs
from connectless.rest.api import make_handler
from connectless.rest.wiring import aws_service

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = join_library_logs(Logger(service="connectless-api"))
handler = make_handler(aws_service)


@logger.inject_lambda_context(log_event=False)  # bodies carry connector configs: never logged
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handler(event, context)
