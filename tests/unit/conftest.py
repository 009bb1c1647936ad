"""Fixtures the unit tests share."""

from __future__ import annotations

import pytest

from connectless import native
from connectless.data import json_values


@pytest.fixture(params=["native", "python"])
def native_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test twice: with connectless.native's C extension (it must be built: `make native`) and with the
    pure-Python path it stands in for (the callers read `native.records` on every call; None switches it off)."""
    if request.param == "python":
        monkeypatch.setattr(native, "records", None)
        monkeypatch.setattr(native, "avro", None)  # _avro.c: AvroConverter's flat-record reader (read per schema)
        monkeypatch.setattr(json_values, "native_flat_dict", None)  # and a flat Struct's dict for its JSON line
    else:
        assert native.records is not None, "connectless.native is not built for this Python: run `make native`"
        assert native.avro is not None, "connectless.native._avro is not built for this Python: run `make native`"
    return str(request.param)
