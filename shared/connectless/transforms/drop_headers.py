"""DropHeaders: remove every header whose name is listed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectless.config import ConfigDef, ConfigType, Importance
from connectless.records import Headers
from connectless.transforms.base import Transformation, register_transformation
from connectless.transforms.util import NON_EMPTY_LIST, with_headers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectless.records import ConnectRecord

HEADERS_FIELD = "headers"

CONFIG_DEF = ConfigDef().define(
    HEADERS_FIELD,
    ConfigType.LIST,
    validator=NON_EMPTY_LIST,
    importance=Importance.HIGH,
    documentation="The name of the headers to be removed.",
)


@register_transformation("DropHeaders")
class DropHeaders(Transformation):
    OVERVIEW_DOC = "Removes one or more headers from each record."
    CONFIG_DEF = CONFIG_DEF

    def configure(self, props: Mapping[str, Any]) -> None:
        self.headers = frozenset(CONFIG_DEF.parse(props)[HEADERS_FIELD])

    def apply(self, record: ConnectRecord) -> Any:
        drop = self.headers
        return with_headers(record, Headers(h for h in record.headers if h.key not in drop))
