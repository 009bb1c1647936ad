"""CONNECTLESS_KAFKA_* -> librdkafka security settings: MSK IAM tokens, SCRAM and mTLS secrets (moto)."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from confluent_kafka import Producer
from moto import mock_aws

from connectless.kafka.auth import KafkaAuthError, MskIamTokenProvider, security_config
from connectless.kafka.settings import KafkaSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "eu-west-1"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def secret(client: Any, name: str, value: dict[str, str]) -> str:
    return str(client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"])


def test_plaintext_by_default() -> None:
    assert security_config({}) == {}
    assert security_config({"CONNECTLESS_KAFKA_AUTH": "none"}) == {}


def test_tls_without_client_auth() -> None:
    assert security_config({"CONNECTLESS_KAFKA_AUTH": "tls"}) == {"security.protocol": "SSL"}


def test_unknown_mode_fails() -> None:
    with pytest.raises(KafkaAuthError, match="expected one of"):
        security_config({"CONNECTLESS_KAFKA_AUTH": "kerberos"})


def test_scram_without_secret_fails() -> None:
    with pytest.raises(KafkaAuthError, match="CONNECTLESS_KAFKA_SECRET_ARN"):
        security_config({"CONNECTLESS_KAFKA_AUTH": "scram-sha-512"})


def test_scram_reads_the_lambda_esm_secret_format(secrets: Any) -> None:
    arn = secret(secrets, "AmazonMSK_app", {"username": "app", "password": "pw"})
    env = {"CONNECTLESS_KAFKA_AUTH": "scram-sha-512", "CONNECTLESS_KAFKA_SECRET_ARN": arn}
    assert security_config(env, secrets) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "app",
        "sasl.password": "pw",
    }


def test_scram_secret_without_password_fails(secrets: Any) -> None:
    arn = secret(secrets, "AmazonMSK_bad", {"username": "app"})
    with pytest.raises(KafkaAuthError, match="username, password"):
        security_config({"CONNECTLESS_KAFKA_AUTH": "scram-sha-256", "CONNECTLESS_KAFKA_SECRET_ARN": arn}, secrets)


def test_mtls_with_private_ca(secrets: Any) -> None:
    client = secret(secrets, "client", {"certificate": "CERT", "privateKey": "KEY", "privateKeyPassword": "kp"})
    ca = secret(secrets, "ca", {"certificate": "ROOT"})
    env = {
        "CONNECTLESS_KAFKA_AUTH": "mtls",
        "CONNECTLESS_KAFKA_SECRET_ARN": client,
        "CONNECTLESS_KAFKA_CA_SECRET_ARN": ca,
    }
    assert security_config(env) == {
        "security.protocol": "SSL",
        "ssl.certificate.pem": "CERT",
        "ssl.key.pem": "KEY",
        "ssl.key.password": "kp",
        "ssl.ca.pem": "ROOT",
    }


def test_msk_iam_settings(secrets: Any) -> None:
    config = security_config({"CONNECTLESS_KAFKA_AUTH": "msk-iam", "AWS_REGION": REGION})
    assert config["security.protocol"] == "SASL_SSL" and config["sasl.mechanism"] == "OAUTHBEARER"
    assert isinstance(config["oauth_cb"], MskIamTokenProvider) and config["oauth_cb"].region == REGION


def test_msk_iam_token_is_a_signed_kafka_connect_url(secrets: Any) -> None:
    token, expiry_s = MskIamTokenProvider(REGION)()
    url = urlparse(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    query = parse_qs(url.query)
    assert url.hostname == f"kafka.{REGION}.amazonaws.com"
    assert query["Action"] == ["kafka-cluster:Connect"] and "X-Amz-Signature" in query
    assert time.time() < expiry_s < time.time() + 3600


def test_librdkafka_calls_the_msk_iam_token_provider(secrets: Any) -> None:
    calls: list[float] = []
    provider = MskIamTokenProvider(REGION)

    def counting(config: str | None) -> tuple[str, float]:
        token, expiry = provider(config)
        calls.append(expiry)
        return token, expiry

    settings = KafkaSettings(
        "127.0.0.1:1",
        {**security_config({"CONNECTLESS_KAFKA_AUTH": "msk-iam", "AWS_REGION": REGION}), "oauth_cb": counting},
    )
    producer = Producer(settings.config())
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        producer.poll(0.1)
    assert calls


def test_settings_from_env_take_the_security_settings(secrets: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = secret(secrets, "AmazonMSK_env", {"username": "u", "password": "p"})
    monkeypatch.setenv("CONNECTLESS_KAFKA_AUTH", "scram-sha-256")
    monkeypatch.setenv("CONNECTLESS_KAFKA_SECRET_ARN", arn)
    settings = KafkaSettings.from_env("broker:9096", **{"client.id": "x"})
    assert settings.config()["sasl.mechanism"] == "SCRAM-SHA-256" and settings.config()["client.id"] == "x"
