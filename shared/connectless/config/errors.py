"""Configuration errors: each names the offending key."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """An invalid or missing configuration value (Kafka's ConfigException). `name` is the key at fault."""

    def __init__(self, name: str, value: Any = None, message: str | None = None) -> None:
        self.name = name
        self.value = value
        self.reason = message
        if message is None:
            text = name
        else:
            shown = "[hidden]" if _is_password(value) else value
            text = f"Invalid value {shown} for configuration {name}: {message}"
        super().__init__(text)

    @classmethod
    def missing(cls, name: str) -> ConfigError:
        err = cls(name)
        err.args = (f'Missing required configuration "{name}" which has no default value.',)
        err.reason = "Missing required configuration which has no default value."
        return err


def _is_password(value: Any) -> bool:
    from connectless.config.configdef import Password

    return isinstance(value, Password)
