"""InsertHeader: add a header with a literal value (typed like Kafka's Values.parseString) to each record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance, NonNullValidator
from connectless.data.values_parse import parse_string
from connectless.transforms.base import Transformation, register_transformation
from connectless.transforms.util import with_headers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import ConnectRecord

HEADER_FIELD = "header"
VALUE_LITERAL_FIELD = "value.literal"

CONFIG_DEF = (
    ConfigDef()
    .define(
        HEADER_FIELD,
        ConfigType.STRING,
        validator=NonNullValidator(),
        importance=Importance.HIGH,
        documentation="The name of the header.",
    )
    .define(
        VALUE_LITERAL_FIELD,
        ConfigType.STRING,
        validator=NonNullValidator(),
        importance=Importance.HIGH,
        documentation="The literal value that is to be set as the header value on all records.",
    )
)


@register_transformation("InsertHeader")
class InsertHeader(Transformation):
    OVERVIEW_DOC = "Add a header to each record."
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        config = CONFIG_DEF.parse(props)
        self.header: str = config[HEADER_FIELD]
        literal = parse_string(config[VALUE_LITERAL_FIELD])  # as SimpleHeaderConverter reads a header
        self.schema, self.value = literal.schema, literal.value

    def apply(self, record: ConnectRecord) -> Any:
        return with_headers(record, record.headers.add(self.header, self.value, self.schema))
