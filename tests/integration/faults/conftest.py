"""The two real stacks the fault suite drives, started once for the folder on the session's broker:

- `standalone`: `connectless standalone` as a user runs it (a child process, its own state topics);
- `local_up`: `connectless local up` in this process (moto server, the real ASL, the handlers in-process).

Each holds two connectors (a stopped Datagen source, a FileStreamSink) so that requests on known names reach the
code behind the 404s.
"""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fault_stacks import REPORT, RunningStack, StandaloneProcess, example_connectors

from connectless_local.local_up import LocalSamStack

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _pytest.terminal import TerminalReporter


HERE = Path(__file__).resolve().parent
_STOP_ON_LEAVING: list[Callable[[], object]] = []


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the folder's stacks after its last test. Without an __init__.py, pytest keeps a "package" fixture
    until the session ends, so later tests would meet a running stack and moto's access control still on."""
    if nextitem is None or HERE not in Path(nextitem.path).resolve().parents:
        while _STOP_ON_LEAVING:
            _STOP_ON_LEAVING.pop()()


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """Each fault scenario's counts, whether it passed or not."""
    if REPORT:
        terminalreporter.section("fault suite: what each scenario tried")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="package")
def standalone(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    prefix = f"faults-sa-{uuid.uuid4().hex[:8]}"
    worker = StandaloneProcess(kafka_bootstrap, prefix)
    running = RunningStack("standalone", worker.url, example_connectors(prefix, tmp_path_factory.mktemp("standalone")))
    stop = functools.cache(worker.stop)
    _STOP_ON_LEAVING.append(stop)
    running.seed()
    yield running
    assert stop() == 0, worker.output[-3000:]


@pytest.fixture(scope="package")
def local_stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSamStack]:
    prefix = f"faults-lu-{uuid.uuid4().hex[:8]}"
    parameters = {"ConfigTopic": f"{prefix}-configs", "OffsetsTopic": f"{prefix}-offsets",
                  "StatusTopic": f"{prefix}-status", "SourceTaskTimeout": "20"}  # fmt: skip
    stack = LocalSamStack(rest_port=0, bootstrap_servers=kafka_bootstrap, parameters=parameters,
                       state_file=tmp_path_factory.mktemp("local") / "local-up.json")  # fmt: skip
    stop = functools.cache(stack.stop)
    _STOP_ON_LEAVING.append(stop)
    stack.start()
    assert stack.endpoints is not None
    yield stack
    stop()


@pytest.fixture(scope="package")
def local_up(local_stack: LocalSamStack, tmp_path_factory: pytest.TempPathFactory) -> RunningStack:
    assert local_stack.endpoints is not None
    topics = local_stack.parameters["ConfigTopic"].removesuffix("-configs")
    running = RunningStack("local up", local_stack.endpoints.rest_url,
                           example_connectors(topics, tmp_path_factory.mktemp("local-out")))  # fmt: skip
    running.seed()
    return running


@pytest.fixture(params=["standalone", "local_up"], scope="module")
def stack(request: pytest.FixtureRequest) -> RunningStack:
    """Each of the two stacks in turn."""
    running: RunningStack = request.getfixturevalue(request.param)
    return running
