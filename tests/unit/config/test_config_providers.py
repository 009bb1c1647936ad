"""${provider:[path:]key} references: env, file, secretsmanager and ssm (on moto), and the resolver's rules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from connectless.config import aws_parameters
from connectless.config.providers import (
    ConfigProviderError,
    ConfigResolver,
    EnvConfigProvider,
    FileConfigProvider,
    SecretsManagerConfigProvider,
    SsmConfigProvider,
    resolve_config,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def secrets(aws: None) -> SecretsManagerConfigProvider:
    client = boto3.client("secretsmanager", region_name=REGION)
    client.create_secret(Name="prod/db", SecretString=json.dumps({"user": "app", "password": "pw1", "port": 5432}))
    client.create_secret(Name="api-token", SecretString="tok-123")
    return SecretsManagerConfigProvider(client)


@pytest.fixture
def ssm(aws: None) -> SsmConfigProvider:
    client = boto3.client("ssm", region_name=REGION)
    client.put_parameter(Name="/connectless/db/password", Value="pw2", Type="SecureString")
    client.put_parameter(Name="/connectless/db/user", Value="reader", Type="String")
    client.put_parameter(Name="plain", Value="v", Type="String")
    return SsmConfigProvider(client)


def resolver(**providers: object) -> ConfigResolver:
    return ConfigResolver(providers)  # type: ignore[arg-type]


# -- env and file ------------------------------------------------------------------------------------------
def test_env_reference_resolves() -> None:
    out = resolve_config({"connection.password": "${env:DB_PW}"}, environ={"DB_PW": "s3cret"})
    assert out == {"connection.password": "s3cret"}


def test_reference_inside_a_longer_value() -> None:
    env = EnvConfigProvider({"HOST": "db", "PORT": "5432"})
    out = resolver(env=env).resolve({"connection.url": "jdbc:postgresql://${env:HOST}:${env:PORT}/app"})
    assert out["connection.url"] == "jdbc:postgresql://db:5432/app"


def test_missing_env_variable_fails_naming_the_reference() -> None:
    with pytest.raises(ConfigProviderError, match=r"\$\{env:NOPE\}"):
        resolve_config({"a": "${env:NOPE}"}, environ={})


def test_env_with_a_path_fails() -> None:
    with pytest.raises(ConfigProviderError, match="no path"):
        resolve_config({"a": "${env:some:KEY}"}, environ={"KEY": "x"})


def test_file_provider_reads_properties(tmp_path: Path) -> None:
    props = tmp_path / "creds.properties"
    props.write_text("# comment\nuser = alice\npassword: p=w\n! other comment\nempty\n", encoding="utf-8")
    config = {"u": f"${{file:{props}:user}}", "p": f"${{file:{props}:password}}", "e": f"${{file:{props}:empty}}"}
    assert resolver(file=FileConfigProvider()).resolve(config) == {"u": "alice", "p": "p=w", "e": ""}


def test_file_provider_reads_continuations_and_escapes(tmp_path: Path) -> None:
    props = tmp_path / "app.properties"
    props.write_text("url = jdbc:postgresql://db:5432/\\\n    app\ntab\\ key = a\\tb\\u0041\n", encoding="utf-8")
    config = {"url": f"${{file:{props}:url}}", "t": f"${{file:{props}:tab key}}"}
    assert resolver(file=FileConfigProvider()).resolve(config) == {"url": "jdbc:postgresql://db:5432/app", "t": "a\tbA"}


def test_file_provider_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(ConfigProviderError, match="cannot read"):
        resolver(file=FileConfigProvider()).resolve({"a": f"${{file:{tmp_path}/none.properties:k}}"})


# -- resolver rules ----------------------------------------------------------------------------------------
def test_unknown_provider_and_non_references_are_left_as_they_are() -> None:
    config = {"topic.format": "${topic}-${timestamp}", "x": "${vault:secret/db:pw}", "y": "plain"}
    assert resolver(env=EnvConfigProvider({})).resolve(config) == config


def test_input_mapping_is_never_changed() -> None:
    config = {"a": "${env:A}"}
    out = resolve_config(config, environ={"A": "1"})
    assert config == {"a": "${env:A}"} and out == {"a": "1"}


class CountingProvider:
    def __init__(self) -> None:
        self.calls: list[tuple[str | None, set[str]]] = []

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        self.calls.append((path, set(keys)))
        return {k: f"{path}/{k}" for k in keys}


def test_one_provider_call_per_path() -> None:
    counting = CountingProvider()
    config = {"a": "${c:p1:x}", "b": "${c:p1:y} ${c:p1:x}", "c": "${c:p2:x}"}
    out = resolver(c=counting).resolve(config)
    assert out == {"a": "p1/x", "b": "p1/y p1/x", "c": "p2/x"}
    assert sorted(counting.calls, key=str) == [("p1", {"x", "y"}), ("p2", {"x"})]


def test_config_without_references_never_builds_aws_clients() -> None:
    assert resolve_config({"a": "b", "c": "$notref", "d": "${novar}"}) == {"a": "b", "c": "$notref", "d": "${novar}"}


# -- Secrets Manager ---------------------------------------------------------------------------------------
def test_secretsmanager_json_fields(secrets: SecretsManagerConfigProvider) -> None:
    config = {"user": "${secretsmanager:prod/db:user}", "pw": "${secretsmanager:prod/db:password}"}
    assert resolver(secretsmanager=secrets).resolve(config) == {"user": "app", "pw": "pw1"}


def test_secretsmanager_non_string_field_is_its_json_text(secrets: SecretsManagerConfigProvider) -> None:
    assert resolver(secretsmanager=secrets).resolve({"p": "${secretsmanager:prod/db:port}"}) == {"p": "5432"}


def test_secretsmanager_whole_secret_without_path(secrets: SecretsManagerConfigProvider) -> None:
    assert resolver(secretsmanager=secrets).resolve({"t": "${secretsmanager:api-token}"}) == {"t": "tok-123"}


def test_secretsmanager_by_arn(secrets: SecretsManagerConfigProvider) -> None:
    arn = secrets.client.describe_secret(SecretId="prod/db")["ARN"]
    out = resolver(secretsmanager=secrets).resolve({"pw": f"${{secretsmanager:{arn}:password}}"})
    assert out == {"pw": "pw1"}


def test_secretsmanager_whole_secret_by_arn(secrets: SecretsManagerConfigProvider) -> None:
    arn = secrets.client.describe_secret(SecretId="api-token")["ARN"]
    assert resolver(secretsmanager=secrets).resolve({"t": f"${{secretsmanager:{arn}}}"}) == {"t": "tok-123"}


def test_secretsmanager_missing_secret_fails_without_leaking(secrets: SecretsManagerConfigProvider) -> None:
    with pytest.raises(ConfigProviderError, match="ResourceNotFoundException"):
        resolver(secretsmanager=secrets).resolve({"pw": "${secretsmanager:nope:password}"})


def test_secretsmanager_missing_field_fails(secrets: SecretsManagerConfigProvider) -> None:
    with pytest.raises(ConfigProviderError, match="prod/db:nokey") as caught:
        resolver(secretsmanager=secrets).resolve({"pw": "${secretsmanager:prod/db:nokey}"})
    assert "pw1" not in str(caught.value)


def test_secretsmanager_field_of_a_plain_secret_fails(secrets: SecretsManagerConfigProvider) -> None:
    with pytest.raises(ConfigProviderError, match="not a JSON object"):
        resolver(secretsmanager=secrets).resolve({"pw": "${secretsmanager:api-token:password}"})


def test_default_secretsmanager_provider_uses_boto3(secrets: SecretsManagerConfigProvider) -> None:
    assert resolve_config({"pw": "${secretsmanager:prod/db:password}"}) == {"pw": "pw1"}


def test_a_secret_is_fetched_once_per_max_age(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("secretsmanager", region_name=REGION)
    client.create_secret(Name="prod/db", SecretString=json.dumps({"user": "app", "password": "pw1"}))
    calls: list[str] = []

    def count_reads() -> None:  # on the process's shared provider
        aws_parameters.secrets_provider().client.meta.events.register(
            "before-parameter-build.secrets-manager.GetSecretValue", lambda **kw: calls.append(kw["params"]["SecretId"])
        )

    count_reads()
    config = {"user": "${secretsmanager:prod/db:user}", "pw": "${secretsmanager:prod/db:password}"}
    for _ in range(3):  # as the manager's Validate, Plan and Write steps resolve it, each with new providers
        assert resolve_config(config) == {"user": "app", "pw": "pw1"}
    assert calls == ["prod/db"]
    client.put_secret_value(SecretId="prod/db", SecretString=json.dumps({"user": "app", "password": "pw2"}))
    assert resolve_config(config)["pw"] == "pw1"  # cached: a rotation is seen once the max age has passed
    monkeypatch.setenv("POWERTOOLS_PARAMETERS_MAX_AGE", "0")  # nothing is kept from now on
    aws_parameters.clear_caches()
    count_reads()
    assert [resolve_config(config)["pw"] for _ in range(2)] == ["pw2", "pw2"]
    assert calls == ["prod/db"] * 3


# -- SSM Parameter Store -----------------------------------------------------------------------------------
def test_ssm_parameter_by_name_is_decrypted(ssm: SsmConfigProvider) -> None:
    out = resolver(ssm=ssm).resolve({"pw": "${ssm:/connectless/db/password}", "p": "${ssm:plain}"})
    assert out == {"pw": "pw2", "p": "v"}


def test_ssm_path_and_key(ssm: SsmConfigProvider) -> None:
    config = {"u": "${ssm:/connectless/db:user}", "pw": "${ssm:/connectless/db/:password}"}
    assert resolver(ssm=ssm).resolve(config) == {"u": "reader", "pw": "pw2"}


def test_ssm_missing_parameter_fails(ssm: SsmConfigProvider) -> None:
    with pytest.raises(ConfigProviderError, match=r"\$\{ssm:/connectless/db:nope\}"):
        resolver(ssm=ssm).resolve({"x": "${ssm:/connectless/db:nope}"})


def test_ssm_more_than_ten_parameters(ssm: SsmConfigProvider) -> None:
    for i in range(12):
        ssm.client.put_parameter(Name=f"/many/p{i}", Value=str(i), Type="String")
    config = {f"k{i}": f"${{ssm:/many:p{i}}}" for i in range(12)}
    assert resolver(ssm=ssm).resolve(config) == {f"k{i}": str(i) for i in range(12)}


def test_default_ssm_provider_uses_boto3(ssm: SsmConfigProvider) -> None:
    assert resolve_config({"u": "${ssm:/connectless/db/user}"}) == {"u": "reader"}
