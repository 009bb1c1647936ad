"""The settings every schema-registry converter shares, under Confluent's names (AbstractKafkaSchemaSerDeConfig).

The worker strips the `key.converter.` / `value.converter.` prefix first, so these are the bare names:
`schema.registry.url` (a list), `basic.auth.credentials.source` + `basic.auth.user.info`, `auto.register.schemas`,
`use.latest.version`, `latest.compatibility.strict`, `key.subject.name.strategy`, `value.subject.name.strategy`.
When `schema.registry.url` is absent, $SCHEMA_REGISTRY_URL (set by `connectless local up`, or by a deployment)
is used: a Connectless convenience, so a stack can offer its registry to every connector.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance, Password, ValidString
from connectless.converters.base import KEY, TYPE_CONFIG, converter_config_def
from connectless.converters.registry.subject import STRATEGIES, SubjectNameStrategy, strategy_named

if TYPE_CHECKING:
    from collections.abc import Mapping

SCHEMA_REGISTRY_URL = "schema.registry.url"
BASIC_AUTH_SOURCE = "basic.auth.credentials.source"
BASIC_AUTH_USER_INFO = "basic.auth.user.info"
AUTO_REGISTER = "auto.register.schemas"
USE_LATEST_VERSION = "use.latest.version"
LATEST_COMPAT_STRICT = "latest.compatibility.strict"
KEY_SUBJECT_STRATEGY = "key.subject.name.strategy"
VALUE_SUBJECT_STRATEGY = "value.subject.name.strategy"
MAX_SCHEMAS_PER_SUBJECT = "max.schemas.per.subject"
NORMALIZE_SCHEMAS = "normalize.schemas"
ENV_URL = "SCHEMA_REGISTRY_URL"
TOPIC_NAME_STRATEGY = "io.confluent.kafka.serializers.subject.TopicNameStrategy"


def registry_config_def() -> ConfigDef:
    """The shared ConfigDef; each converter defines its own format's settings on top."""
    return (
        converter_config_def()
        .define(
            SCHEMA_REGISTRY_URL,
            ConfigType.LIST,
            None,
            None,
            Importance.HIGH,
            "Comma-separated list of URLs for Schema Registry instances that can be used to register or look up "
            "schemas. Connectless falls back to $SCHEMA_REGISTRY_URL when unset.",
        )
        .define(
            BASIC_AUTH_SOURCE,
            ConfigType.STRING,
            "URL",
            ValidString(["URL", "USER_INFO", "SASL_INHERIT"]),
            Importance.MEDIUM,
            "Specify how to pick the credentials for the Basic authentication header: URL (user info in the URL) "
            "or USER_INFO (basic.auth.user.info).",
        )
        .define(
            BASIC_AUTH_USER_INFO,
            ConfigType.PASSWORD,
            "",
            None,
            Importance.MEDIUM,
            "Specify the user info for the Basic authentication in the form of {username}:{password}.",
        )
        .define(
            AUTO_REGISTER,
            ConfigType.BOOLEAN,
            True,
            None,
            Importance.MEDIUM,
            "Specify if the Serializer should attempt to register the Schema with Schema Registry.",
        )
        .define(
            USE_LATEST_VERSION,
            ConfigType.BOOLEAN,
            False,
            None,
            Importance.LOW,
            "Specify if the Serializer should use the latest subject version for serialization.",
        )
        .define(
            LATEST_COMPAT_STRICT,
            ConfigType.BOOLEAN,
            True,
            None,
            Importance.LOW,
            "If true, and use.latest.version is true, check that the latest subject version is backward "
            "compatible with the schema of the object being serialized.",
        )
        .define(
            KEY_SUBJECT_STRATEGY,
            ConfigType.STRING,
            TOPIC_NAME_STRATEGY,
            ValidString(sorted(STRATEGIES)),
            Importance.MEDIUM,
            "Determines how to construct the subject name under which the key schema is registered.",
        )
        .define(
            VALUE_SUBJECT_STRATEGY,
            ConfigType.STRING,
            TOPIC_NAME_STRATEGY,
            ValidString(sorted(STRATEGIES)),
            Importance.MEDIUM,
            "Determines how to construct the subject name under which the value schema is registered.",
        )
        .define(
            MAX_SCHEMAS_PER_SUBJECT,
            ConfigType.INT,
            1000,
            None,
            Importance.LOW,
            "Maximum number of schemas to create or cache locally (the bound of the converter's caches).",
        )
        .define(
            NORMALIZE_SCHEMAS,
            ConfigType.BOOLEAN,
            False,
            None,
            Importance.LOW,
            "Whether to normalize schemas, which generally ignores ordering when it is not significant.",
        )
    )


@dataclass(frozen=True)
class RegistrySettings:
    """The parsed shared settings of one converter instance."""

    urls: tuple[str, ...]
    user_info: str | None
    auto_register: bool
    use_latest_version: bool
    latest_compatibility_strict: bool
    subject_strategy: SubjectNameStrategy
    cache_capacity: int
    normalize: bool
    is_key: bool

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> RegistrySettings:
        urls = [u.strip() for u in (props.get(SCHEMA_REGISTRY_URL) or []) if u.strip()]
        if not urls and os.environ.get(ENV_URL):
            urls = [u.strip() for u in os.environ[ENV_URL].split(",") if u.strip()]
        if not urls:
            raise ConfigError(SCHEMA_REGISTRY_URL, None, 'Missing required configuration "schema.registry.url"')
        for url in urls:
            # a `${provider:...}` reference is resolved in the copy of the config a task starts with
            if not url.startswith(("http://", "https://", "mock://", "${")):
                raise ConfigError(SCHEMA_REGISTRY_URL, url, f"Invalid URL {url}: expected http://, https:// or mock://")
        user_info = None
        source = str(props.get(BASIC_AUTH_SOURCE) or "URL").upper()
        if source == "USER_INFO":
            secret = props.get(BASIC_AUTH_USER_INFO)
            user_info = secret.value if isinstance(secret, Password) else str(secret or "")
            if ":" not in user_info:
                raise ConfigError(BASIC_AUTH_USER_INFO, "[hidden]", "must be in the form {username}:{password}")
        elif source == "SASL_INHERIT":
            raise ConfigError(BASIC_AUTH_SOURCE, source, "SASL_INHERIT is not supported: use USER_INFO or URL")
        is_key = props.get(TYPE_CONFIG) == KEY
        strategy = props.get(KEY_SUBJECT_STRATEGY if is_key else VALUE_SUBJECT_STRATEGY) or TOPIC_NAME_STRATEGY
        capacity = int(props.get(MAX_SCHEMAS_PER_SUBJECT) or 1000)
        if capacity <= 0:
            raise ConfigError(MAX_SCHEMAS_PER_SUBJECT, capacity, "must be positive")
        return cls(
            urls=tuple(urls),
            user_info=user_info,
            auto_register=bool(props.get(AUTO_REGISTER, True)),
            use_latest_version=bool(props.get(USE_LATEST_VERSION, False)),
            latest_compatibility_strict=bool(props.get(LATEST_COMPAT_STRICT, True)),
            subject_strategy=strategy_named(str(strategy)),
            cache_capacity=capacity,
            normalize=bool(props.get(NORMALIZE_SCHEMAS, False)),
            is_key=is_key,
        )
