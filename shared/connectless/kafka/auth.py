"""How the Kafka clients authenticate: the stack's parameters (as environment variables) -> librdkafka settings.

CONNECTLESS_KAFKA_AUTH picks the mode; the secrets use the formats Lambda's Kafka event-source mappings read,
so one secret serves both the mappings (SourceAccessConfigurations) and the library's own clients:

| mode | librdkafka | secret (CONNECTLESS_KAFKA_SECRET_ARN) |
|---|---|---|
| `none` (default) | PLAINTEXT | - |
| `tls` | SSL, server certificate only | - |
| `msk-iam` | SASL_SSL + OAUTHBEARER, tokens from aws-msk-iam-sasl-signer-python | - (the function's role) |
| `scram-sha-256`, `scram-sha-512` | SASL_SSL + SCRAM | `{"username", "password"}` |
| `mtls` | SSL with a client certificate | `{"certificate", "privateKey"[, "privateKeyPassword"]}` (PEM) |

CONNECTLESS_KAFKA_CA_SECRET_ARN optionally holds `{"certificate": PEM}`: the root CA of a self-managed cluster.

Example:
    >>> security_config({"CONNECTLESS_KAFKA_AUTH": "msk-iam", "AWS_REGION": "eu-west-1"})["sasl.mechanism"]
    'OAUTHBEARER'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

AUTH_ENV: Final = "CONNECTLESS_KAFKA_AUTH"
SECRET_ENV: Final = "CONNECTLESS_KAFKA_SECRET_ARN"
CA_SECRET_ENV: Final = "CONNECTLESS_KAFKA_CA_SECRET_ARN"
MODES: Final = ("none", "tls", "msk-iam", "scram-sha-256", "scram-sha-512", "mtls")


class KafkaAuthError(ValueError):
    """The authentication settings are unknown or incomplete."""


class MskIamTokenProvider:
    """librdkafka's oauth_cb for MSK IAM: a signed token and its expiry (epoch seconds), refreshed by librdkafka."""

    def __init__(self, region: str) -> None:
        self.region = region

    def __call__(self, _oauthbearer_config: str | None = None) -> tuple[str, float]:
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(self.region)
        return token, expiry_ms / 1000


def _region(env: Mapping[str, str]) -> str:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        import boto3

        region = boto3.session.Session().region_name
    if not region:
        raise KafkaAuthError("msk-iam needs the AWS region: set AWS_REGION")
    return region


def _secret_json(client: Any, arn: str, required: tuple[str, ...]) -> dict[str, Any]:
    """The secret's JSON object, through the process's cached Powertools provider (or one over `client`)."""
    from connectless.config import aws_parameters

    provider = aws_parameters.secrets_provider(client) if client is not None else None
    try:
        secret = aws_parameters.get_secret(arn, provider=provider, json=True)
    except aws_parameters.SecretReadError as exc:
        if exc.code not in ("not JSON", "binary"):
            raise KafkaAuthError(f"cannot read secret {arn} ({exc.code})") from None
        secret = None
    if not isinstance(secret, dict) or any(not secret.get(k) for k in required):
        raise KafkaAuthError(f"secret {arn} must be a JSON object with {', '.join(required)}")
    return secret


def security_config(env: Mapping[str, str] | None = None, secrets_client: Any = None) -> dict[str, Any]:
    """librdkafka security settings for the mode in `env` (default: os.environ); {} for plaintext."""
    env = os.environ if env is None else env
    mode = (env.get(AUTH_ENV) or "none").strip().lower()
    if mode not in MODES:
        raise KafkaAuthError(f"{AUTH_ENV}={mode!r}: expected one of {', '.join(MODES)}")
    if mode == "none":
        return {}
    if mode == "msk-iam":
        return {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": MskIamTokenProvider(_region(env)),
        }
    config: dict[str, Any] = {"security.protocol": "SSL"}
    secret_arn, ca_arn = env.get(SECRET_ENV, ""), env.get(CA_SECRET_ENV, "")
    if mode in ("scram-sha-256", "scram-sha-512", "mtls") and not secret_arn:
        raise KafkaAuthError(f"{AUTH_ENV}={mode} needs {SECRET_ENV}")
    if mode.startswith("scram-"):
        secret = _secret_json(secrets_client, secret_arn, ("username", "password"))
        config |= {"security.protocol": "SASL_SSL", "sasl.mechanism": mode.upper(),
                   "sasl.username": secret["username"], "sasl.password": secret["password"]}  # fmt: skip
    elif mode == "mtls":
        secret = _secret_json(secrets_client, secret_arn, ("certificate", "privateKey"))
        config |= {"ssl.certificate.pem": secret["certificate"], "ssl.key.pem": secret["privateKey"]}
        if secret.get("privateKeyPassword"):
            config["ssl.key.password"] = secret["privateKeyPassword"]
    if ca_arn:
        config["ssl.ca.pem"] = _secret_json(secrets_client, ca_arn, ("certificate",))["certificate"]
    return config
