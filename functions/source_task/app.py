"""Lambda handler: an EventBridge Scheduler event {"connector", "task"} -> one run of that source task.

The library does the work (connectless.lambda_source.handler); this module adds Powertools logging, metrics
(the sink's: RecordsIn, RecordsOut, RecordsDeadLettered, BatchDuration, TaskFailures, per connector) and tracing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from connectless.lambda_source.handler import SourceInvocationResult, SourceTaskHandler
from connectless.logs import join_library_logs
from connectless.tracing import make_tracer, patch_imported

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = join_library_logs(Logger())  # the library's logs in the same JSON stream
metrics = Metrics(namespace="Connectless")
tracer = make_tracer()  # no X-Ray SDK where tracing is off; no import-time patching where it is on

_handler: SourceTaskHandler | None = None  # warm state: Kafka settings and the state stores


def _source_handler() -> SourceTaskHandler:
    global _handler
    if _handler is None:
        _handler = SourceTaskHandler.from_env()
    return _handler


def _task_failures() -> int:
    return _handler.task_failures if _handler is not None else 0


def _record_metrics(result: SourceInvocationResult | None, duration_s: float, task_failures: int) -> None:
    metrics.add_metric(name="RecordsIn", unit=MetricUnit.Count, value=result.records_in if result else 0)
    metrics.add_metric(name="RecordsOut", unit=MetricUnit.Count, value=result.records_out if result else 0)
    metrics.add_metric(name="RecordsDropped", unit=MetricUnit.Count, value=result.records_dropped if result else 0)
    # Tolerated failures, as the sink counts them (the DeadLetteredRecordsAlarm of template.yaml sums them).
    metrics.add_metric(
        name="RecordsDeadLettered", unit=MetricUnit.Count, value=result.records_dead_lettered if result else 0
    )
    metrics.add_metric(name="BytesOut", unit=MetricUnit.Bytes, value=result.bytes_out if result else 0)
    metrics.add_metric(name="BatchDuration", unit=MetricUnit.Milliseconds, value=round(duration_s * 1000, 3))
    # The task was set FAILED (the TaskFailures alarm of template.yaml sums it per service and connector).
    metrics.add_metric(name="TaskFailures", unit=MetricUnit.Count, value=task_failures)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    connector, task = str(event["connector"]), int(event.get("task", 0))
    metrics.add_dimension(name="connector", value=connector)
    logger.append_keys(connector=connector, task=task)
    tracer.put_annotation(key="connector", value=connector)
    patch_imported(tracer)  # X-Ray: the client libraries imported by now (a task's, once started)
    start = time.perf_counter()
    result: SourceInvocationResult | None = None
    failures_before = _task_failures()
    failed = True
    try:
        result = _source_handler().handle(
            connector, task, remaining_s=lambda: context.get_remaining_time_in_millis() / 1000
        )
        failed = False
    except Exception:
        if _task_failures() > failures_before:
            logger.exception("source task failed; its status is FAILED")
        else:  # e.g. the state topics unreadable during a broker outage: nothing ran, the next scheduled run retries
            logger.exception("source invocation failed before its task ran; the task's status is unchanged")
        raise
    finally:
        # a failure before the task ran (the state stores, Kafka) counts too, once
        failures = _task_failures() - failures_before
        _record_metrics(result, time.perf_counter() - start, max(failures, 1) if failed else failures)
    logger.info("source run done", extra=result.response())
    return result.response()
