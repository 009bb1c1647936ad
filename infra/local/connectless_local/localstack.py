"""`local up --localstack`: where LocalStack is, by the conventions of localstack_client (PyPI localstack-client).

- LOCALSTACK_HOST: `host[:port]` of LocalStack's edge (default localhost:4566);
- EDGE_PORT: LocalStack's former name for the edge port, taken when LOCALSTACK_HOST names no port;
- USE_SSL: `1` or `true` for https;
- AWS_ENDPOINT_URL, when set, wins over all three (as in localstack_client);
- credentials: LocalStack accepts any; without AWS_ACCESS_KEY_ID or AWS_PROFILE, `test`/`test` as
  localstack_client's boto3 patch uses, region us-east-1 unless one is set.

Every boto3 client of `local up` then goes to that endpoint, as with --endpoint-url: the stack, its artifacts
bucket, the schedules and the sink aliases are created there; the handlers, the state machine's steps and the
Kafka event-source mappings stay in the `local up` process.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import MutableMapping

DEFAULT_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def wanted(environ: MutableMapping[str, str] | None = None) -> bool:
    """LOCALSTACK_HOST set means LocalStack, as for localstack_client."""
    return bool((os.environ if environ is None else environ).get("LOCALSTACK_HOST", "").strip())


def localstack_endpoint(environ: MutableMapping[str, str] | None = None) -> str:
    """The edge URL localstack_client computes, EDGE_PORT filling in a port LOCALSTACK_HOST lacks."""
    from localstack_client import config

    env = os.environ if environ is None else environ
    host = env.get("LOCALSTACK_HOST", "").strip()
    edge_port = env.get("EDGE_PORT", "").strip()
    if edge_port and ":" not in host:
        if not edge_port.isdigit():
            raise ValueError(f"EDGE_PORT must be a port number, got {edge_port!r}")
        host = f"{host or 'localhost'}:{edge_port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "USE_SSL")}
    try:  # localstack_client reads these two from os.environ: give it the environment asked about
        for key in saved:
            if env.get(key) is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = env[key]
        endpoint = config.get_service_endpoint("cloudformation", localstack_host=host or None)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not endpoint:
        raise RuntimeError("localstack_client knows no endpoint for CloudFormation")
    return str(endpoint)


def use_localstack(environ: MutableMapping[str, str] | None = None) -> str:
    """The endpoint, with LocalStack's default credentials and region put in `environ` where none are set."""
    env = os.environ if environ is None else environ
    if not env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_PROFILE"):
        env.update(DEFAULT_CREDENTIALS)
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION") or "us-east-1")
    return localstack_endpoint(env)
