"""Filter: drop every record. Useful only with a predicate (and `negate`) on its chain stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectless.transforms.base import Transformation, register_transformation

if TYPE_CHECKING:
    from connectless.records import ConnectRecord


@register_transformation("Filter")
class Filter(Transformation):
    OVERVIEW_DOC = (
        "Drops all records, filtering them from subsequent transformations in the chain. This is intended to be used "
        "conditionally to filter out records matching (or not matching) a particular Predicate."
    )

    def apply(self, record: ConnectRecord) -> None:
        return None
