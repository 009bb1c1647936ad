"""Config providers: `${provider:[path:]key}` references in connector configs, resolved at task start.

Kafka Connect's ConfigProvider syntax and flow (ConfigTransformer): collect every reference, ask each provider
once per path for the keys it needs, substitute. The stored config keeps the references; only the copy handed
to a running task holds the values. Built-in providers, always available:

- `${env:NAME}`: an environment variable of the process (the Lambda function's configuration).
- `${file:/path/app.properties:key}`: a key of a Java properties file (Kafka's FileConfigProvider).
- `${secretsmanager:NAME}`: a secret's whole SecretString; `${secretsmanager:NAME:key}`: one field of a JSON
  secret. NAME may be a full ARN (`${secretsmanager:arn:aws:secretsmanager:...:secret:db-AbCd:password}`).
- `${ssm:/param/name}`: a Parameter Store value (SecureString decrypted); `${ssm:/param/dir:key}` reads
  `/param/dir/key`.

A reference to an unknown provider is left as it is, as Kafka Connect does (`${topic}` has no colon and is never
a reference). A reference that a known provider cannot resolve fails the task start, naming the reference but
never a value: Kafka Connect would pass the literal `${...}` on, which only fails later and less clearly.

Example:
    >>> resolve_config({"connection.password": "${env:DB_PASSWORD}"}, environ={"DB_PASSWORD": "s3cret"})
    {'connection.password': 's3cret'}
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from connectless.config import aws_parameters
from connectless.config.errors import ConfigError
from connectless.config.properties import parse_properties

if TYPE_CHECKING:
    from collections.abc import Mapping

# Kafka's ConfigTransformer.DEFAULT_PATTERN.
REFERENCE = re.compile(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}")
_ARN_PARTS = {"secretsmanager": 7, "ssm": 6}  # colon-separated fields of the ARN before an optional :key


class ConfigProviderError(ConfigError):
    """A reference that its provider could not resolve. The message names the reference, never a value."""

    def __init__(self, reference: str, message: str) -> None:
        super().__init__(reference)
        self.reason = message
        self.args = (f"{reference}: {message}",)


class ConfigProvider(Protocol):
    """Kafka's ConfigProvider.get(path, keys): the values of `keys` under `path` (None: no path)."""

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]: ...


def _missing(provider: str, path: str | None, keys: set[str]) -> ConfigProviderError:
    where = f"{provider}:{path}:" if path else f"{provider}:"
    refs = ", ".join(sorted("${" + where + k + "}" for k in keys))
    return ConfigProviderError(refs, "cannot resolve the reference")


class EnvConfigProvider:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        if path:
            raise ConfigProviderError(f"env:{path}", "the env provider takes no path: use ${env:NAME}")
        absent = {k for k in keys if k not in self.environ}
        if absent:
            raise _missing("env", None, absent)
        return {k: self.environ[k] for k in keys}


class FileConfigProvider:
    """Keys of a Java properties file, read as `Properties.load` reads it (continuations and escapes too)."""

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        if not path:
            raise ConfigProviderError("file", "the file provider needs a path: ${file:/path/file:key}")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigProviderError(f"file:{path}", f"cannot read the file ({exc.strerror})") from None
        props = parse_properties(text)
        absent = keys - props.keys()
        if absent:
            raise _missing("file", path, absent)
        return {k: props[k] for k in keys}


class SecretsManagerConfigProvider:
    """`path` is the secret (name or ARN); with a path each key is a field of its JSON SecretString.

    Reads go through Powertools parameters (config.aws_parameters): cached, so the manager's steps and the task
    runners of one process fetch a secret once per max age. A given `client` gets a provider (and cache) of its own.
    """

    def __init__(self, client: Any = None) -> None:
        self._client = client
        self._provider: Any = None

    @property
    def provider(self) -> Any:
        if self._provider is None:
            self._provider = aws_parameters.secrets_provider(self._client)
        return self._provider

    @property
    def client(self) -> Any:
        return self.provider.client

    def _secret(self, secret_id: str, *, as_json: bool = False) -> Any:
        try:
            return aws_parameters.get_secret(secret_id, provider=self.provider, json=as_json)
        except aws_parameters.SecretReadError as exc:
            if exc.code == "binary":
                raise ConfigProviderError(f"secretsmanager:{secret_id}", "binary secrets are not supported") from None
            if exc.code == "not JSON":
                raise ConfigProviderError(f"secretsmanager:{secret_id}", "the secret is not a JSON object") from None
            raise ConfigProviderError(f"secretsmanager:{secret_id}", f"cannot read the secret ({exc.code})") from None

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        if path is None:
            return {k: str(self._secret(k)) for k in keys}
        fields = self._secret(path, as_json=True)
        if not isinstance(fields, dict):
            raise ConfigProviderError(f"secretsmanager:{path}", "the secret is not a JSON object")
        absent = keys - fields.keys()
        if absent:
            raise _missing("secretsmanager", path, absent)
        return {k: _text(fields[k]) for k in keys}


class SsmConfigProvider:
    """Parameter Store: without a path each key is a parameter name; with one, `<path>/<key>`. Cached as above."""

    def __init__(self, client: Any = None) -> None:
        self._client = client
        self._provider: Any = None

    @property
    def provider(self) -> Any:
        if self._provider is None:
            self._provider = aws_parameters.ssm_provider(self._client)
        return self._provider

    @property
    def client(self) -> Any:
        return self.provider.client

    def get(self, path: str | None, keys: set[str]) -> dict[str, str]:
        names = {k: f"{path.rstrip('/')}/{k}" if path else k for k in keys}
        found = aws_parameters.get_parameters(sorted(set(names.values())), provider=self.provider)
        absent = {k for k, name in names.items() if name not in found}
        if absent:
            raise _missing("ssm", path, absent)
        return {k: found[name] for k, name in names.items()}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)  # numbers, booleans (true/false) and nested JSON as their JSON text


def default_providers(environ: Mapping[str, str] | None = None) -> dict[str, ConfigProvider]:
    """The built-in providers; the AWS ones create their boto3 client on first use."""
    return {
        "env": EnvConfigProvider(environ),
        "file": FileConfigProvider(),
        "secretsmanager": SecretsManagerConfigProvider(),
        "ssm": SsmConfigProvider(),
    }


def _split(match: re.Match[str]) -> tuple[str, str | None, str]:
    """(provider, path, key) of a reference, keeping ARNs whole although they contain colons."""
    provider, path, key = match.group(1), match.group(3), match.group(4)
    parts = _ARN_PARTS.get(provider)
    if parts and path == "arn":
        fields = f"{path}:{key}".split(":")
        arn = ":".join(fields[:parts])
        rest = ":".join(fields[parts:])
        return (provider, arn, rest) if rest else (provider, None, arn)
    return provider, path, key


def has_references(config: Mapping[str, str]) -> bool:
    return any(isinstance(v, str) and "${" in v and REFERENCE.search(v) for v in config.values())


class ConfigResolver:
    """Resolves every reference of a config with one provider call per (provider, path)."""

    def __init__(self, providers: Mapping[str, ConfigProvider] | None = None) -> None:
        self.providers = dict(default_providers() if providers is None else providers)

    def resolve(self, config: Mapping[str, str]) -> dict[str, str]:
        """A resolved copy of `config`; the mapping given is left as it is."""
        if not has_references(config):
            return dict(config)
        wanted: dict[tuple[str, str | None], set[str]] = {}
        for value in config.values():
            for match in REFERENCE.finditer(value):
                provider, path, key = _split(match)
                if provider in self.providers:
                    wanted.setdefault((provider, path), set()).add(key)
        found = {(p, path): self.providers[p].get(path, keys) for (p, path), keys in wanted.items()}

        def substitute(match: re.Match[str]) -> str:
            provider, path, key = _split(match)
            values = found.get((provider, path))
            return match.group(0) if values is None else values[key]

        return {k: REFERENCE.sub(substitute, v) if isinstance(v, str) else v for k, v in config.items()}


def resolve_config(
    config: Mapping[str, str], *, resolver: ConfigResolver | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`config` with its `${provider:[path:]key}` references resolved (a copy; the input is not changed)."""
    if resolver is None:
        if not has_references(config):
            return dict(config)
        resolver = ConfigResolver(default_providers(environ))
    return resolver.resolve(config)
