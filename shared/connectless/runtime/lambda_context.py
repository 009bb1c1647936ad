"""The one stand-in for Lambda's context object, for every handler run off Lambda (standalone, `local up`, the
local REST server, tests): what Powertools and the handlers read of it."""

from __future__ import annotations

import time
import uuid


class EmulatedLambdaContext:
    """Mimics `LambdaContext`: names, the alias-qualified ARN and the remaining time of one invocation."""

    def __init__(
        self,
        function_name: str,
        alias: str | None,
        *,
        timeout_s: float = 300.0,
        memory_limit_in_mb: int = 1769,
        region: str = "us-east-1",
        account: str = "000000000000",
        invoked_function_arn: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        qualifier = f":{alias}" if alias else ""
        self.invoked_function_arn = (
            invoked_function_arn or f"arn:aws:lambda:{region}:{account}:function:{function_name}{qualifier}"
        )
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
