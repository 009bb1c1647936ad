"""RegexRouter: rename the topic when the whole topic matches a (Java) regular expression."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigError, ConfigType, Importance
from connectless.config.validators import Validator
from connectless.transforms.base import Transformation, register_transformation
from connectless.transforms.java_regex import compile_java_regex, java_replacer
from connectless.transforms.util import with_topic

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.records import ConnectRecord

REGEX = "regex"
REPLACEMENT = "replacement"


class JavaRegexValidator(Validator):
    """The value must compile as a Java regular expression."""

    def ensure_valid(self, name: str, value: Any) -> None:
        try:
            compile_java_regex(value)
        except re.error as exc:
            raise ConfigError(name, value, f"Invalid regex: {exc}") from None

    def __str__(self) -> str:
        return "valid regex"


CONFIG_DEF = (
    ConfigDef()
    .define(
        REGEX,
        ConfigType.STRING,
        validator=JavaRegexValidator(),
        importance=Importance.HIGH,
        documentation="Regular expression to use for matching.",
    )
    .define(REPLACEMENT, ConfigType.STRING, importance=Importance.HIGH, documentation="Replacement string.")
)


@register_transformation("RegexRouter")
class RegexRouter(Transformation):
    OVERVIEW_DOC = (
        "Update the record topic using the configured regular expression and replacement string. Under the hood, "
        "the regex is compiled to a `java.util.regex.Pattern`. If the pattern matches the input topic, "
        "`java.util.regex.Matcher#replaceFirst()` is used with the replacement string to obtain the new topic."
    )
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.regex = compile_java_regex(config[REGEX])
        try:
            self._replace = java_replacer(config[REPLACEMENT], self.regex)
        except (ValueError, IndexError) as exc:
            # Kafka finds a bad group reference only when a topic matches, and fails that record.
            self._replace = _failing(type(exc), str(exc))

    def apply(self, record: ConnectRecord) -> Any:
        if self.regex.fullmatch(record.topic) is None:
            return record
        # Like Matcher.replaceFirst after matches(): the first match found by searching is replaced.
        return with_topic(record, self.regex.sub(self._replace, record.topic, count=1))


def _failing(error: type[Exception], message: str) -> Callable[[re.Match[str]], str]:
    def replace(_match: re.Match[str]) -> str:
        raise error(message)

    return replace
