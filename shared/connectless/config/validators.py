"""Validators for ConfigDef keys. Each is called with (name, parsed value) and raises ConfigError."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectless.config.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class Validator:
    """Base class: override `ensure_valid`; `__str__` describes the accepted values for the docs."""

    def __call__(self, name: str, value: Any) -> None:
        self.ensure_valid(name, value)

    def ensure_valid(self, name: str, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return ""


class Range(Validator):
    """A numeric range, either end open."""

    def __init__(self, minimum: float | None = None, maximum: float | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    @classmethod
    def at_least(cls, minimum: float) -> Range:
        return cls(minimum, None)

    @classmethod
    def between(cls, minimum: float, maximum: float) -> Range:
        return cls(minimum, maximum)

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigError(name, value, "Value must be non-null")
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(name, value, f"Value must be at least {_num(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(name, value, f"Value must be no more than {_num(self.maximum)}")

    def __str__(self) -> str:
        if self.minimum is None:
            return f"[...,{_num(self.maximum)}]"
        if self.maximum is None:
            return f"[{_num(self.minimum)},...]"
        return f"[{_num(self.minimum)},...,{_num(self.maximum)}]"


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


class ValidString(Validator):
    """One of a fixed set of strings; `case_sensitive=False` compares case-insensitively."""

    def __init__(self, allowed: Iterable[str], *, case_sensitive: bool = True, allow_null: bool = False) -> None:
        self.allowed = list(allowed)
        self.case_sensitive = case_sensitive
        self.allow_null = allow_null
        self._lookup = set(self.allowed) if case_sensitive else {a.lower() for a in self.allowed}

    @classmethod
    def in_(cls, *allowed: str) -> ValidString:
        return cls(allowed)

    @classmethod
    def in_ignore_case(cls, *allowed: str) -> ValidString:
        return cls(allowed, case_sensitive=False)

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None:
            if self.allow_null:
                return
            raise ConfigError(name, value, f"String must be one of: {', '.join(self.allowed)}")
        probe = value if self.case_sensitive else str(value).lower()
        if probe not in self._lookup:
            kind = "String" if self.case_sensitive else "String must be one of (case insensitive)"
            if self.case_sensitive:
                raise ConfigError(name, value, f"{kind} must be one of: {', '.join(self.allowed)}")
            raise ConfigError(name, value, f"{kind}: {', '.join(self.allowed)}")

    def __str__(self) -> str:
        return "[" + ", ".join(self.allowed) + "]"


class ValidList(Validator):
    """A list whose every item is one of the allowed strings."""

    def __init__(self, allowed: Iterable[str], *, allow_empty: bool = True) -> None:
        self.allowed = list(allowed)
        self.allow_empty = allow_empty

    @classmethod
    def in_(cls, *allowed: str) -> ValidList:
        return cls(allowed)

    def ensure_valid(self, name: str, value: Any) -> None:
        items = value or []
        if not items and not self.allow_empty:
            raise ConfigError(name, value, "Empty list is not allowed")
        for item in items:
            if item not in self.allowed:
                raise ConfigError(name, value, f"Invalid value {item}: must be one of {', '.join(self.allowed)}")

    def __str__(self) -> str:
        return "[" + ", ".join(self.allowed) + "]"


class NonEmptyString(Validator):
    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None or str(value).strip() == "":
            raise ConfigError(name, value, "String must be non-empty")

    def __str__(self) -> str:
        return "non-empty string"


class NonNullValidator(Validator):
    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigError(name, value, "entry must be non null")

    def __str__(self) -> str:
        return "non-null"


class RegexValidator(Validator):
    """The value must compile as a regular expression."""

    def ensure_valid(self, name: str, value: Any) -> None:
        if value is None:
            return
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(name, value, f"Invalid regular expression: {exc}") from None

    def __str__(self) -> str:
        return "valid regex"


class LambdaValidator(Validator):
    """A validator from a predicate and a description: `LambdaValidator(lambda v: v > 0, "positive")`."""

    def __init__(self, check: Callable[[Any], bool], description: str, message: str | None = None) -> None:
        self.check = check
        self.description = description
        self.message = message or f"Value must be {description}"

    def ensure_valid(self, name: str, value: Any) -> None:
        if not self.check(value):
            raise ConfigError(name, value, self.message)

    def __str__(self) -> str:
        return self.description


class CompositeValidator(Validator):
    def __init__(self, *validators: Validator) -> None:
        self.validators = validators

    def ensure_valid(self, name: str, value: Any) -> None:
        for validator in self.validators:
            validator(name, value)

    def __str__(self) -> str:
        return ", ".join(str(v) for v in self.validators)
