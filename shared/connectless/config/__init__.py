"""ConfigDef: declared, typed, validated and documented configuration, as in Kafka Connect."""

from connectless.config.configdef import (
    NO_DEFAULT,
    ConfigDef,
    ConfigKey,
    ConfigType,
    ConfigValue,
    Importance,
    ParsedConfig,
    Password,
    Width,
)
from connectless.config.errors import ConfigError
from connectless.config.validators import (
    CompositeValidator,
    NonEmptyString,
    NonNullValidator,
    Range,
    Validator,
    ValidList,
    ValidString,
)

__all__ = [
    "NO_DEFAULT",
    "CompositeValidator",
    "ConfigDef",
    "ConfigError",
    "ConfigKey",
    "ConfigType",
    "ConfigValue",
    "Importance",
    "NonEmptyString",
    "NonNullValidator",
    "ParsedConfig",
    "Password",
    "Range",
    "ValidList",
    "ValidString",
    "Validator",
    "Width",
]
