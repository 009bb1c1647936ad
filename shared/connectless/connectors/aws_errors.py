"""Which AWS API failures are worth retrying: throttling, 5xx and lost connections."""

from __future__ import annotations

RETRIABLE_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "ProvisionedThroughputExceededException",
     "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable", "TransactionConflictException"}
)  # fmt: skip


def is_retriable(exc: BaseException) -> bool:
    from botocore import exceptions as aws

    if isinstance(exc, aws.EndpointConnectionError | aws.ConnectionError | aws.ReadTimeoutError):
        return True
    if isinstance(exc, aws.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        return status >= 500 or status == 429 or code in RETRIABLE_CODES
    return False
