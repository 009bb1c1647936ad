"""One source-task invocation from the command line, as Lambda would run it (used by the fault tests).

    python -m connectless.lambda_source --connector orders --task 0 --remaining-s 5

Topics and budgets come from the same environment variables as the function's; prints the result as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from connectless.lambda_source.handler import SourceTaskFailedError, SourceTaskHandler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectless.lambda_source")
    parser.add_argument("--connector", required=True)
    parser.add_argument("--task", type=int, default=0)
    parser.add_argument("--remaining-s", type=float, default=30.0, help="the emulated Lambda time left")
    parser.add_argument("--bootstrap-servers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from connectless.kafka.settings import KafkaSettings

    handler = SourceTaskHandler.from_env(KafkaSettings.from_env(args.bootstrap_servers))
    ends = time.monotonic() + args.remaining_s
    try:
        result = handler.handle(args.connector, args.task, remaining_s=lambda: ends - time.monotonic())
    except SourceTaskFailedError as exc:
        print(json.dumps({"outcome": "FAILED", "error": str(exc)}))
        return 1
    print(json.dumps(result.response()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
