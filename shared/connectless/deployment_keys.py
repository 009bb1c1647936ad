"""Connectless's own connector-config keys: how a connector runs on AWS (schedule, event-source mapping).

They validate with the rest of the config, so a bad batch size is a 400 before any execution starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectless.config import ConfigDef, ConfigType, Importance, Range, ValidString

if TYPE_CHECKING:
    from collections.abc import Mapping

SCHEDULE = "connectless.source.schedule"
BATCH_SIZE = "connectless.sink.batch.size"
BATCHING_WINDOW = "connectless.sink.batching.window.seconds"
STARTING_POSITION = "connectless.sink.starting.position"
MAX_RETRY_ATTEMPTS = "connectless.sink.maximum.retry.attempts"
MAX_RECORD_AGE = "connectless.sink.maximum.record.age.seconds"
BISECT_ON_ERROR = "connectless.sink.bisect.batch.on.function.error"
ON_FAILURE = "connectless.sink.on.failure.destination"
MIN_POLLERS = "connectless.sink.minimum.pollers"
MAX_POLLERS = "connectless.sink.maximum.pollers"

GROUP = "Connectless on AWS"
CONFIG_DEF = (
    ConfigDef()
    .define(SCHEDULE, ConfigType.STRING, "rate(1 minute)", None, Importance.LOW,
            "EventBridge Scheduler expression that runs each source task.", group=GROUP)
    .define(BATCH_SIZE, ConfigType.INT, 100, Range.between(1, 10_000), Importance.LOW,
            "Event-source mapping BatchSize.", group=GROUP)
    .define(BATCHING_WINDOW, ConfigType.INT, None, Range.between(0, 300), Importance.LOW,
            "Event-source mapping MaximumBatchingWindowInSeconds (unset: Lambda's default).", group=GROUP)
    .define(STARTING_POSITION, ConfigType.STRING, "TRIM_HORIZON", ValidString(("TRIM_HORIZON", "LATEST")),
            Importance.LOW, "Where a new consumer group starts.", group=GROUP)
    .define(MAX_RETRY_ATTEMPTS, ConfigType.INT, None, Range.between(-1, 10_000), Importance.LOW,
            "Event-source mapping MaximumRetryAttempts (-1: until the record expires).", group=GROUP)
    .define(MAX_RECORD_AGE, ConfigType.INT, None, Range.between(-1, 604_800), Importance.LOW,
            "Event-source mapping MaximumRecordAgeInSeconds.", group=GROUP)
    .define(BISECT_ON_ERROR, ConfigType.BOOLEAN, None, None, Importance.LOW,
            "Event-source mapping BisectBatchOnFunctionError.", group=GROUP)
    .define(ON_FAILURE, ConfigType.STRING, None, None, Importance.LOW,
            "On-failure destination: an SQS, SNS or S3 ARN, or kafka://<topic>.", group=GROUP)
    .define(MIN_POLLERS, ConfigType.INT, None, Range.between(1, 200), Importance.LOW,
            "Provisioned mode: MinimumPollers.", group=GROUP)
    .define(MAX_POLLERS, ConfigType.INT, None, Range.between(1, 2000), Importance.LOW,
            "Provisioned mode: MaximumPollers.", group=GROUP)
)  # fmt: skip


def provisioned(config: Mapping[str, str]) -> bool:
    """Whether the connector's mappings run in provisioned mode (pollers set), where AWS allows error handling."""
    return bool(config.get(MIN_POLLERS, "").strip() or config.get(MAX_POLLERS, "").strip())
