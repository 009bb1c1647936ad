"""Secrets Manager and Parameter Store reads, through Powertools parameters: cached for `MAX_AGE_S` per process.

One create runs the manager's Validate, Plan and Write steps, each resolving the connector's `${secretsmanager:...}`
references; the Kafka clients read their SCRAM or mTLS secret once per client. The shared providers below let all
of them fetch a secret once a minute at most, and a rotated secret is seen within that minute.
`POWERTOOLS_PARAMETERS_MAX_AGE` (seconds) overrides the age.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

MAX_AGE_S = 60
MAX_AGE_ENV = "POWERTOOLS_PARAMETERS_MAX_AGE"


class SecretReadError(Exception):
    """A secret or parameter could not be read; `code` is AWS's error code when there is one (never its value)."""

    def __init__(self, name: str, code: str) -> None:
        super().__init__(f"{name}: {code}")
        self.name = name
        self.code = code


def max_age_s() -> int:
    return int(os.environ.get(MAX_AGE_ENV) or MAX_AGE_S)


@functools.cache
def _shared_secrets() -> SecretsProvider:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider()


@functools.cache
def _shared_ssm() -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider()


def secrets_provider(client: Any = None) -> SecretsProvider:
    """The process's shared provider, or one over `client` (its own cache) when a client is given."""
    if client is None:
        return _shared_secrets()
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=client)


def ssm_provider(client: Any = None) -> SSMProvider:
    if client is None:
        return _shared_ssm()
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=client)


def clear_caches() -> None:
    """Forget every cached value and shared client (tests: each moto world starts empty)."""
    _shared_secrets.cache_clear()
    _shared_ssm.cache_clear()


def _error_code(exc: BaseException) -> str:
    from botocore.exceptions import ClientError

    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "error"))
    return type(cause or exc).__name__


def get_secret(name: str, *, provider: SecretsProvider | None = None, json: bool = False) -> Any:
    """A secret's SecretString (or its JSON, parsed, with `json`); SecretReadError naming the AWS error code.

    Raises SecretReadError with code "binary" for a SecretBinary and "not JSON" when `json` cannot parse it."""
    from aws_lambda_powertools.utilities.parameters import GetParameterError, TransformParameterError

    provider = provider or _shared_secrets()
    try:
        value = provider.get(name, max_age=max_age_s(), transform="json" if json else None)
    except TransformParameterError:
        raise SecretReadError(name, "not JSON") from None
    except GetParameterError as exc:
        raise SecretReadError(name, _error_code(exc)) from None
    if isinstance(value, bytes):
        raise SecretReadError(name, "binary")
    return value


def get_parameters(names: list[str], *, provider: SSMProvider | None = None) -> dict[str, str]:
    """Parameter Store values (decrypted) of `names` that exist; parameter ARNs are read one by one."""
    from aws_lambda_powertools.utilities.parameters import GetParameterError

    provider = provider or _shared_ssm()
    by_name = [n for n in names if not n.startswith("arn:")]
    found: dict[str, str] = {}
    if by_name:
        values = provider.get_parameters_by_name(
            {n: {} for n in by_name}, decrypt=True, max_age=max_age_s(), raise_on_error=False
        )
        found |= {k: str(v) for k, v in values.items() if k != "_errors" and k in by_name}
    for arn in (n for n in names if n.startswith("arn:")):
        try:
            value = provider.get(arn, decrypt=True, max_age=max_age_s())
        except GetParameterError:
            continue
        if value is not None:
            found[arn] = str(value)
    return found
