"""A sink task run in a long-lived process exactly as Lambda runs it: the event-source-mapping emulator feeding
the sink batch handler, in-process (no Lambda, no JSON over the network: the handler gets the Lambda event as a
DecodedKafkaEvent, equal to it and carrying its records already decoded, instead of a JSON round trip).

Standalone mode runs every sink task this way, so the code path of a laptop is the code path of AWS:
- consumer group `connect-<connector>` (Kafka Connect's name: an existing connector's offsets carry over);
- one batch = one "invocation": converters, transforms, `put`, `flush`, the DLQ acknowledged, and only then
  the commit of that batch's offsets (the mapping commits, never the handler);
- a batch that fails as a whole (an outage outlasting the retry budget, a crash) is retried until it works,
  and the idempotent sinks absorb the redelivery;
- under errors.tolerance=none a record that cannot be written commits its partition up to that record and
  then fails the task (FAILED, with the trace), as Kafka Connect does; a restart begins at that record;
- `run(should_stop)` returns between batches (or between retries of a failing one), with everything delivered
  committed: SIGTERM then a restart redelivers nothing, and kill -9 at any moment loses nothing.

The batch follows Kafka Connect's consumer settings where they exist: `consumer.override.max.poll.records`
(default 500) is the BatchSize, and the worker's commit interval bounds the batching window. A task's
`SinkTaskContext.offset()` rewinds as Kafka Connect's do, even behind the batch it was given (the emulator seeks
the group's consumer: the one thing a Lambda mapping cannot do). Every batch is flushed and committed whole.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from connectless.connector_config import NAME, parse_topics_list
from connectless.errors.exceptions import ConnectError
from connectless.lambda_sink.handler import SinkBatchHandler, put_size
from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.kafka.settings import KafkaSettings
    from connectless.storage import StatusStore

log = logging.getLogger(__name__)

FUNCTION_TIMEOUT_S: Final = 60.0  # how long one batch may retry a retriable write before the batch is retried
MAX_BATCHING_WINDOW_S: Final = 0.5  # Lambda's default for Kafka


class SinkTaskFailedError(ConnectError):
    """A record could not be written under errors.tolerance=none: the task stops, FAILED."""


def subscription(config: Mapping[str, str]) -> list[str]:
    """`topics` (comma-separated) or `topics.regex` (as a librdkafka `^pattern` subscription)."""
    topics = parse_topics_list(config)
    if topics:
        return topics
    regex = config.get("topics.regex", "").strip()
    if not regex:
        raise ConnectError("a sink connector needs 'topics' or 'topics.regex'")
    return ["^" + regex.removeprefix("^")]


class InProcessSinkRunner:
    """One sink task: `start()`, then `run(should_stop)` until stopped, then `stop()`.

    The interface of standalone.scheduled_source.ScheduledSourceRunner, so the worker's task threads drive either.

    Example:
        runner = InProcessSinkRunner("s3-sink", 0, task_config, connector_config, KafkaSettings.from_env())
        runner.start()
        runner.run(stop_event.is_set)
        runner.stop()
    """

    def __init__(
        self,
        connector: str,
        task_id: int,
        task_config: Mapping[str, str],
        connector_config: Mapping[str, str],
        settings: KafkaSettings,
        *,
        commit_interval_s: float = 1.0,
        function_timeout_s: float = FUNCTION_TIMEOUT_S,
        retry_delay_s: float = 0.5,
        statuses: StatusStore | None = None,
    ) -> None:
        self.connector = connector
        self.task_id = task_id
        self.settings = settings
        # The handler runs with this task's configs as the worker gave them (the worker owns the config topic and
        # starts and stops its tasks itself): no config store at all.
        self.connector_config = {**connector_config, NAME: connector}
        self.task_config = dict(task_config)
        self.handler = SinkBatchHandler(
            None, None, settings, worker_id="standalone", task_id=task_id, config_ttl_s=float("inf"),
            topic_statuses=statuses,  # the task's own status is the worker's to write; its active topics are not
            can_seek=True,  # a rewind behind the batch: the emulator moves the consumer (_invoke)
        )  # fmt: skip
        batch_size = put_size(connector_config)
        self.mapping = MappingConfig(
            connector,
            subscription(connector_config),
            function_name="connectless-standalone",
            batch_size=max(1, min(batch_size, 10000)),
            maximum_batching_window_s=min(MAX_BATCHING_WINDOW_S, max(commit_interval_s, 0.0)),
            report_batch_item_failures=True,
            function_timeout_s=function_timeout_s,
            retry_delay_s=retry_delay_s,
        )
        self.emulator = EventSourceMappingEmulator(settings, self.mapping, self._invoke, json_round_trip=False)
        self.failure: SinkTaskFailedError | None = None
        self.records_in = 0
        self.records_written = 0
        self.records_dead_lettered = 0

    def _invoke(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        remaining = context.get_remaining_time_in_millis
        result = self.handler.run(self.connector_config, self.task_config, event, lambda: remaining() / 1000)
        self.records_in += result.records_in
        self.records_written += result.records_written
        self.records_dead_lettered += result.records_dead_lettered
        if result.seeks:
            self.emulator.seek({(tp.topic, tp.partition): offset for tp, offset in result.seeks.items()})
        if result.failures and self.failure is None:
            first = result.failures[0]
            self.failure = SinkTaskFailedError(
                f"task {self.connector}-{self.task_id} failed at {first.topic}-{first.partition}@{first.offset} "
                f"(errors.tolerance=none)\n{result.trace or ''}"
            )
        return result.response()

    def start(self) -> None:
        """Start the task (a config it refuses fails here) and join the consumer group."""
        self.handler.warm_up(self.connector, self.connector_config, self.task_config)
        self.emulator.start()

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Deliver batches until `should_stop()`; raises SinkTaskFailedError when a record failed the task."""
        self.emulator.run(lambda: should_stop() or self.failure is not None)
        if self.failure is not None:
            raise self.failure

    def stop(self) -> None:
        """Leave the group (everything delivered is committed already), then stop the task."""
        try:
            self.emulator.stop()
        finally:
            self.handler.close()

    def describe(self) -> dict[str, Any]:
        stats = self.emulator.stats
        return {"records_in": self.records_in, "records_put": self.records_written,
                "records_dead_lettered": self.records_dead_lettered, "batches": stats.batches,
                "function_errors": stats.function_errors}  # fmt: skip
