"""Lambda handler: a Kafka event-source-mapping batch -> one sink connector (parse -> library -> response).

Invoked through an alias named after the connector (or with CONNECTLESS_CONNECTOR set). `lambda_handler_bytes` is
the same handler for the event's raw bytes, called by connectless.runtime.lambda_runtime_client (the template's
AWS_LAMBDA_EXEC_WRAPPER): lambda_sink.events.loads_event reads a Kafka event's bytes straight into its records (in C,
else orjson), far faster than the managed runtime's simplejson parse. The library does
the work (connectless.lambda_sink.handler) and the function's glue (connectless.runtime.task_function: metrics
RecordsIn, RecordsOut, RecordsDeadLettered, BatchDuration, TaskFailures per connector); this module adds Powertools.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

from connectless.lambda_sink.events import loads_event
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
# Powertools logs the event itself under POWERTOOLS_LOGGER_LOG_EVENT: then the plain dict, as the JSON has it
_LOGS_EVENT = resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_LOGGER_LOG_EVENT", "false"))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return function(event, context)


def lambda_handler_bytes(event: bytes, context: Any) -> dict[str, Any]:
    return lambda_handler(orjson.loads(event) if _LOGS_EVENT else loads_event(event), context)
