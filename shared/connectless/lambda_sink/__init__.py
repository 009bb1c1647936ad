"""The serverless sink: the Lambda Kafka event and the batch handler behind functions/sink_task.

Its local driver, the event-source-mapping emulator, lives in connectless.standalone."""

from connectless.lambda_sink.events import build_event, parse_event
from connectless.lambda_sink.handler import BatchResult, SinkBatchHandler
from connectless.lambda_sink.target import connector_name

__all__ = ["BatchResult", "SinkBatchHandler", "build_event", "connector_name", "parse_event"]
