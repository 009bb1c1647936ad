"""Lambda handler: a Kafka event-source-mapping batch -> one sink connector (parse -> library -> response).

Invoked through an alias named after the connector (or with CONNECTLESS_CONNECTOR set). The library does the
work (connectless.lambda_sink.handler); this module adds Powertools logging, metrics and tracing.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from connectless.lambda_sink.events import record_count
from connectless.lambda_sink.handler import BatchResult, ConnectorNotRunnableError, SinkBatchHandler
from connectless.lambda_sink.target import connector_name
from connectless.logs import join_library_logs
from connectless.runtime.gcpause import raise_gc_threshold_on_lambda
from connectless.tracing import make_tracer, patch_imported

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = join_library_logs(Logger())  # the library's logs in the same JSON stream
metrics = Metrics(namespace="Connectless")
tracer = make_tracer()  # no X-Ray SDK where tracing is off; no import-time patching where it is on
raise_gc_threshold_on_lambda()  # the runtime parses each event before the handler: without collections

_handler: SinkBatchHandler | None = None  # warm state: stores, cached configs, started tasks
_frozen = False


def _batch_handler() -> SinkBatchHandler:
    global _handler
    if _handler is None:
        _handler = SinkBatchHandler.from_env()
    return _handler


def _freeze_warm_state() -> None:
    """Once the first batch has loaded every module, plugin and client, move them out of the cycle collector's
    sight: a 10,000-record batch allocates enough to trigger full collections, which would otherwise walk
    every long-lived object of the container each time (a third of the CPU of a batch, measured)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def _connector(alias: str) -> str:
    """The connector the alias serves (a name AWS refuses as an alias was derived: aws_names)."""
    try:
        return _batch_handler().connector_for(alias)
    except Exception:  # the state stores cannot start: the batch below fails on them again, and is counted
        logger.exception("cannot read the config topic to map alias %s to its connector", alias)
        return alias


def _task_failures() -> int:
    return _handler.task_failures if _handler is not None else 0


def _record_metrics(result: BatchResult | None, records_in: int, duration_s: float, task_failures: int) -> None:
    metrics.add_metric(name="RecordsIn", unit=MetricUnit.Count, value=records_in)
    metrics.add_metric(name="RecordsOut", unit=MetricUnit.Count, value=result.records_written if result else 0)
    metrics.add_metric(
        name="RecordsDeadLettered", unit=MetricUnit.Count, value=result.records_dead_lettered if result else 0
    )
    metrics.add_metric(name="BatchDuration", unit=MetricUnit.Milliseconds, value=round(duration_s * 1000, 3))
    # The task was set FAILED (the TaskFailures alarm of template.yaml sums it per service and connector).
    metrics.add_metric(name="TaskFailures", unit=MetricUnit.Count, value=task_failures)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    connector = _connector(connector_name(context.invoked_function_arn))
    metrics.add_dimension(name="connector", value=connector)
    logger.append_keys(connector=connector)
    tracer.put_annotation(key="connector", value=connector)
    patch_imported(tracer)  # X-Ray: the client libraries imported by now (a task's, once started)
    records_in = record_count(event)
    start = time.perf_counter()
    result: BatchResult | None = None
    failures_before = _task_failures()
    failed = False
    try:
        result = _batch_handler().handle(
            event, connector, remaining_s=lambda: context.get_remaining_time_in_millis() / 1000
        )
    except ConnectorNotRunnableError:  # paused, stopped or not configured yet: the batch waits, nothing failed
        raise
    except Exception:
        failed = True
        logger.exception("batch failed; the event-source mapping retries it")
        raise
    finally:
        # a failure before the task ran (the state stores, Kafka, the event) counts too, once
        failures = _task_failures() - failures_before
        _record_metrics(result, records_in, time.perf_counter() - start, max(failures, 1) if failed else failures)
    _freeze_warm_state()
    response = result.response()
    logger.info(
        "batch done",
        extra={
            "records_in": result.records_in,
            "records_out": result.records_written,
            "records_dead_lettered": result.records_dead_lettered,
            "partitions_failed": len(response["batchItemFailures"]),
        },
    )
    return response
