"""Lambda handler: a Kafka event-source-mapping batch -> one sink connector (parse -> library -> response).

Invoked through an alias named after the connector (or with CONNECTLESS_CONNECTOR set). `lambda_handler_bytes` is
the same handler for the event's raw bytes, called by connectless.runtime.lambda_runtime_client (the template's
AWS_LAMBDA_EXEC_WRAPPER): orjson parses a 5 MB batch faster than the managed runtime's simplejson. The library does
the work (connectless.lambda_sink.handler) and the function's glue (connectless.runtime.task_function: metrics
RecordsIn, RecordsOut, RecordsDeadLettered, BatchDuration, TaskFailures per connector); this module adds Powertools.
"""

from __future__ import annotations

from typing import Any

import orjson
from aws_lambda_powertools import Logger, Metrics

from connectless.lambda_sink.handler import SinkBatchHandler
from connectless.logs import join_library_logs
from connectless.runtime.gcpause import raise_gc_threshold_on_lambda
from connectless.runtime.task_function import TaskFunction
from connectless.tracing import make_tracer

logger = join_library_logs(Logger())  # the library's logs in the same JSON stream
metrics = Metrics(namespace="Connectless")
tracer = make_tracer()  # no X-Ray SDK where tracing is off; no import-time patching where it is on
raise_gc_threshold_on_lambda()  # the runtime parses each event before the handler: without collections
function = TaskFunction(SinkBatchHandler, logger, metrics, tracer)  # warm state: stores, configs, started tasks


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return function(event, context)


def lambda_handler_bytes(event: bytes, context: Any) -> dict[str, Any]:
    return lambda_handler(orjson.loads(event), context)
