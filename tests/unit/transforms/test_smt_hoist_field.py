from __future__ import annotations

import pytest
from smt_helpers import configured, sink

from connectless.data import INT32_SCHEMA, OPTIONAL_INT32_SCHEMA, DataError
from connectless.transforms import HoistFieldKey, HoistFieldValue


def test_schemaless() -> None:
    assert configured(HoistFieldKey, {"field": "magic"}).apply(sink("v", key=42)).key == {"magic": 42}


def test_with_schema() -> None:
    out = configured(HoistFieldKey, {"field": "magic"}).apply(sink("v", key=42, key_schema=INT32_SCHEMA))
    assert ([(f.name, f.schema) for f in out.key_schema.fields], out.key.get("magic"), out.value) == (
        [("magic", INT32_SCHEMA)],
        42,
        "v",
    )


def test_schemaless_null_is_wrapped() -> None:
    assert configured(HoistFieldValue, {"field": "f"}).apply(sink(None)).value == {"f": None}


def test_optional_schema_null_is_wrapped() -> None:
    assert configured(HoistFieldValue, {"field": "f"}).apply(sink(None, OPTIONAL_INT32_SCHEMA)).value.get("f") is None


def test_required_schema_null_fails_struct_validation() -> None:
    with pytest.raises(DataError, match="null used for required field"):
        configured(HoistFieldValue, {"field": "f"}).apply(sink(None, INT32_SCHEMA))


def test_schema_is_cached() -> None:
    smt = configured(HoistFieldValue, {"field": "f"})
    assert smt.apply(sink(1, INT32_SCHEMA)).value_schema is smt.apply(sink(2, INT32_SCHEMA)).value_schema
