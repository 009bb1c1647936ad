"""The built-in predicates: HasHeaderKey, RecordIsTombstone and TopicNameMatches."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectless.config import CompositeValidator, ConfigDef, ConfigError, ConfigType, Importance, NonEmptyString
from connectless.transforms.base import Predicate, register_predicate
from connectless.transforms.java_regex import compile_java_regex
from connectless.transforms.regex_router import JavaRegexValidator

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import ConnectRecord

NAME_CONFIG = "name"
PATTERN_CONFIG = "pattern"


@register_predicate("HasHeaderKey")
class HasHeaderKey(Predicate):
    OVERVIEW_DOC = "A predicate which is true for records with at least one header with the configured name."
    CONFIG_DEF = ConfigDef().define(
        NAME_CONFIG,
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.MEDIUM,
        documentation="The header name.",
    )

    def configure(self, props: Mapping[str, Any]) -> None:
        self.name: str = self.CONFIG_DEF.parse(props)[NAME_CONFIG]

    def test(self, record: ConnectRecord) -> bool:
        name = self.name
        return any(header.key == name for header in record.headers)

    def __repr__(self) -> str:
        return f"HasHeaderKey{{name='{self.name}'}}"


@register_predicate("RecordIsTombstone")
class RecordIsTombstone(Predicate):
    OVERVIEW_DOC = "A predicate which is true for records which are tombstones (i.e. have null value)."

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None

    def __repr__(self) -> str:
        return "RecordIsTombstone{}"


@register_predicate("TopicNameMatches")
class TopicNameMatches(Predicate):
    OVERVIEW_DOC = (
        "A predicate which is true for records with a topic name that matches the configured regular expression."
    )
    CONFIG_DEF = ConfigDef().define(
        PATTERN_CONFIG,
        ConfigType.STRING,
        validator=CompositeValidator(NonEmptyString(), JavaRegexValidator()),
        importance=Importance.MEDIUM,
        documentation="A Java regular expression for matching against the name of a record's topic.",
    )

    def configure(self, props: Mapping[str, Any]) -> None:
        value = self.CONFIG_DEF.parse(props)[PATTERN_CONFIG]
        try:
            self.pattern = compile_java_regex(value)
        except re.error as exc:  # pragma: no cover - the validator already compiled it
            raise ConfigError(
                PATTERN_CONFIG, value, f"entry must be a Java-compatible regular expression: {exc}"
            ) from None

    def test(self, record: ConnectRecord) -> bool:
        return record.topic is not None and self.pattern.fullmatch(record.topic) is not None

    def __repr__(self) -> str:
        return f"TopicNameMatches{{pattern={self.pattern.pattern}}}"
