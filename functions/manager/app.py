"""Lambda tasks of the connector_manager state machine (infra/statemachine/connector_manager.asl.json)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from connectless.logs import join_library_logs
from connectless.manager.lambda_handler import handle

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = join_library_logs(Logger(service="connectless-manager"))


@logger.inject_lambda_context(log_event=False)  # events carry connector configs: never logged
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    logger.info("step", extra={"step": event.get("step"), "connector": event.get("request", {}).get("connector")})
    return handle(event)
