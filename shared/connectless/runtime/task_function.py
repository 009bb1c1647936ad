"""The Lambda function around a task handler: what functions/source_task and functions/sink_task share.

Per invocation: the connector as a metric dimension, log key and trace annotation; the handler's `invoke`; its
result's metrics (TaskFailures included, which template.yaml's alarm sums); then the response, or the invocation's
error raised again so that Lambda (and the event-source mapping) sees it. The handler is built at the first
invocation and kept while the container is warm; when it cannot be built (the state stores unreachable), the
invocation fails and counts as a task failure.

Example (functions/sink_task/app.py):
    function = TaskFunction(SinkBatchHandler, logger, metrics, tracer)

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event, context):
        return function(event, context)
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from connectless.runtime.task_handler import TaskHandlerBase
from connectless.tracing import patch_imported

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aws_lambda_powertools import Logger, Metrics, Tracer

H = TypeVar("H", bound=TaskHandlerBase)


class TaskFunction(Generic[H]):
    """A task handler served as a Lambda function with Powertools' logger, metrics and tracer.

    `handler` is the warm handler (None until the first invocation builds it with `make_handler`)."""

    def __init__(
        self,
        handler_class: type[H],
        logger: Logger,
        metrics: Metrics,
        tracer: Tracer,
        make_handler: Callable[[], H] | None = None,
    ) -> None:
        self.handler_class = handler_class
        self.make_handler: Callable[[], H] = make_handler or handler_class.from_env
        self.handler: H | None = None
        self.logger = logger
        self.metrics = metrics
        self.tracer = tracer
        self._frozen = False

    def __call__(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        keys = self.handler_class.invocation_keys(event, context)
        handler, built_error = self._warm_handler()
        if handler is not None:
            keys["connector"] = handler.connector_for(keys["connector"])
        connector = keys["connector"]
        self.metrics.add_dimension(name="connector", value=connector)
        self.logger.append_keys(**keys)
        self.tracer.put_annotation(key="connector", value=connector)
        patch_imported(self.tracer)  # X-Ray: the client libraries imported by now (a task's, once started)
        start = time.perf_counter()
        if handler is None:
            assert built_error is not None
            failed = self.handler_class.failed_result(event, connector)
            failed.task_failures = 1
            self._put_metrics(failed.metrics(time.perf_counter() - start))
            message = self.handler_class.FAILED_BEFORE_TASK_MESSAGE or self.handler_class.FAILED_MESSAGE
            self.logger.exception(message, exc_info=built_error)
            raise built_error
        result = handler.invoke(event, context, connector)
        self._put_metrics(result.metrics(time.perf_counter() - start))
        if result.error is not None:
            if handler.counts_as_failure(result.error):
                message = self.handler_class.FAILED_MESSAGE
                if result.before_task:
                    message = self.handler_class.FAILED_BEFORE_TASK_MESSAGE or message
                self.logger.exception(message, exc_info=result.error)
            raise result.error
        if self.handler_class.FREEZE_WARM_STATE:
            self._freeze_warm_state()
        self.logger.info(self.handler_class.DONE_MESSAGE, extra=result.summary())
        return result.response()

    def _warm_handler(self) -> tuple[H | None, Exception | None]:
        if self.handler is None:
            try:
                self.handler = self.make_handler()
            except Exception as exc:  # the state stores cannot start: counted, and raised by the invocation
                return None, exc
        return self.handler, None

    def _put_metrics(self, values: Mapping[str, tuple[str, float]]) -> None:
        for name, (unit, value) in values.items():
            self.metrics.add_metric(name=name, unit=unit, value=value)

    def _freeze_warm_state(self) -> None:
        """Once the first invocation has loaded every module, plugin and client, move them out of the cycle
        collector's sight: a 10,000-record batch allocates enough to trigger full collections, which would otherwise
        walk every long-lived object of the container each time (a third of the CPU of a batch, measured)."""
        if not self._frozen:
            self._frozen = True
            gc.collect()
            gc.freeze()
