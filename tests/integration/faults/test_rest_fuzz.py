"""Schemathesis against the real stacks, on the real broker: every operation of the served OpenAPI document, with
valid and invalid inputs (positive and negative generation), against `connectless standalone` and against
`connectless local up` (REST -> API handler -> the ASL in moto -> manager -> schedules and mappings).

No request may get a 5xx, and every 4xx must carry Kafka Connect's `{"error_code", "message"}` body with
error_code equal to the status. Path parameters named `connector` are drawn, one time in three, from the
connectors the stacks hold, so requests reach the code behind the 404s; a test that deletes one re-creates it.

FUZZ_EXAMPLES sets the examples per operation and per generation mode: 5 in `make test`, 150 in `make fuzz`
(several hundred per operation and stack).
Each stack's counts (requests per status) are printed in the summary of the run.
"""

from __future__ import annotations

import collections
import json
import os
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from fault_stacks import EXAMPLE_NAMES, report
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from connectless.rest.openapi import openapi_document

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fault_stacks import RunningStack

pytestmark = pytest.mark.kafka
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
COUNTS: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)

schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])


@schema.hook
def flatmap_path_parameters(_context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> Any:
    if not path_parameters or "connector" not in path_parameters:
        return st.just(path_parameters)
    known = st.sampled_from(EXAMPLE_NAMES).map(lambda name: {**path_parameters, "connector": name})
    return st.one_of(st.just(path_parameters), st.just(path_parameters), known)


def kafka_connect_error_body(_ctx: Any, response: schemathesis.Response, _case: schemathesis.Case) -> None:
    """A 4xx answers {"error_code": <its status>, "message": <text>}, as Kafka Connect does."""
    if not 400 <= response.status_code < 500:  # noqa: PLR2004
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body: {response.content[:200]!r}") from None
    assert isinstance(body, dict) and set(body) == {"error_code", "message"}, body
    assert body["error_code"] == response.status_code and isinstance(body["message"], str), body


@pytest.fixture(scope="module", autouse=True)
def counts_report() -> Iterator[None]:
    yield
    for name, counts in COUNTS.items():
        report(
            f"REST fuzz on {name}: {sum(counts.values())} requests ({EXAMPLES} examples per operation and "
            f"generation mode), by status {dict(sorted(counts.items()))}"
        )
    assert all(status < 500 for counts in COUNTS.values() for status in counts)  # noqa: PLR2004


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_no_server_errors(case: schemathesis.Case, stack: RunningStack) -> None:
    response = case.call(base_url=stack.url)
    COUNTS[stack.name].update([response.status_code])
    deleted = case.method.upper() == "DELETE" and case.operation.path == "/connectors/{connector}"
    if deleted and response.status_code == 204:  # noqa: PLR2004
        stack.seed(case.path_parameters["connector"])
    case.validate_response(response, checks=[not_a_server_error, kafka_connect_error_body])
