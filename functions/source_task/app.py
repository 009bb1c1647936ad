"""Lambda handler: an EventBridge Scheduler event {"connector", "task"} -> one run of that source task.

The library does the work (connectless.lambda_source.handler) and the function's glue
(connectless.runtime.task_function: the sink's metrics plus RecordsDropped and BytesOut, per connector); this
module adds Powertools.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from connectless.lambda_source.handler import SourceTaskHandler
from connectless.logs import join_library_logs
from connectless.runtime.task_function import TaskFunction
from connectless.tracing import make_tracer

logger = join_library_logs(Logger())  # the library's logs in the same JSON stream
metrics = Metrics(namespace="Connectless")
tracer = make_tracer()  # no X-Ray SDK where tracing is off; no import-time patching where it is on
function = TaskFunction(SourceTaskHandler, logger, metrics, tracer)  # warm state: Kafka settings, state stores


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return function(event, context)
