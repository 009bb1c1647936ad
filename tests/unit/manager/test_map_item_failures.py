"""The Map catches a failed Apply per item (the ASL's ApplyFailed), so every item has ended before Record status
runs; Record status then raises, and the ASL's Catch sends the execution to RollBack."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from connectless.manager import steps
from connectless.manager.errors import TaskApplyError
from connectless.manager.request import Action, ManagerRequest

ASL = Path(__file__).resolve().parents[3] / "infra" / "statemachine" / "connector_manager.asl.json"


def test_record_status_raises_with_each_failed_items_cause() -> None:
    state = SimpleNamespace(worker_id="w")  # the failure is found before any store is touched
    applied = [{"task": 0, "op": "start", "state": "RUNNING"},
               {"task": 1, "op": "start", "error": {"Error": "RuntimeError", "Cause": "injected fault"}},
               {"task": 2, "op": "start", "error": {"Error": "AccessDeniedException"}}]  # fmt: skip
    with pytest.raises(TaskApplyError, match=r"task 1: injected fault; task 2: AccessDeniedException"):
        steps.record_status(state, ManagerRequest(Action.PUT, "c"), {"target_state": "STARTED"}, applied)  # type: ignore[arg-type]


def test_the_map_catches_each_item_and_record_status_falls_back_to_roll_back() -> None:
    states = json.loads(ASL.read_text())["States"]
    items = states["ApplyTasks"]["ItemProcessor"]["States"]
    assert [c["Next"] for c in items["Apply"]["Catch"]] == ["ApplyFailed"]
    assert items["ApplyFailed"]["Type"] == "Pass" and "error.$" in items["ApplyFailed"]["Parameters"]
    assert [c["Next"] for c in states["RecordStatus"]["Catch"]] == ["RollBack"]
