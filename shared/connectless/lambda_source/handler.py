"""One scheduled run of a source task: the library behind functions/source_task (and the local scheduler).

The order, per invocation of `{"connector": C, "task": N}`:
1. read the config topic to its end; a connector that is unknown, PAUSED or STOPPED returns at once;
2. claim the task: `init_transactions()` on the producer whose transactional.id is `<cluster>-<C>-<N>`
   (Kafka Connect's naming; exactly-once with a transaction per poll also on `<cluster>-<C>-<N>.1`, the second
   producer the runner alternates with). The broker bumps that id's epoch, so every older invocation of the task is
   fenced;
3. read the offsets topic to its end (read_committed) and start the task, which restores its offsets;
4. poll until the remaining Lambda time falls under the safety margin, a record/byte budget is spent or the
   task stays idle for `max_idle_s`; every record goes through transforms then converters and is produced;
5. commit (runtime/source_runner): at-least-once by default, exactly-once with exactly.once.support=required;
6. status: RUNNING once the task started; FAILED with the trace when anything failed (the invocation raises).

Replays. When a run must abandon its uncommitted work for a reason that may pass (RunAbortedError: its transaction
aborted by the coordinator or timed out in a broker outage longer than transaction.timeout.ms, records refused with a
retriable error), the task is not failed at once: the runner is released without committing, and a fresh one fences
the old producer (`init_transactions()` also aborts its transaction), reads the committed offsets and starts the task
from them, so nothing is lost and a read_committed consumer sees each record once (when the abort shows that a
newer invocation holds the task, the run ends FENCED instead: a replay would take it back). Replays go on, with a
backoff growing from 300 ms to errors.retry.delay.max.ms, until errors.retry.timeout has passed since the first abort
(counted across invocations: an invocation that reaches its end still replaying returns ABORTED and the next one goes
on); then, or at once with errors.retry.timeout=0, the task is FAILED with a message saying so. errors.tolerance=all
does not skip an aborted transaction: its records are whole batches, not failed records (Kafka Connect fails the
task).

Why a fence and not a lease. A lease record on a compacted topic can only be checked, not compared-and-set,
and it trusts clocks: two invocations may both believe they hold it. The transactional fence is enforced by the
broker itself: after the newer invocation's `init_transactions()`, the older one's next offset commit fails with
PRODUCER_FENCED, whatever the clocks say, and the newer one reads the offsets only after it fenced, so offsets
never go back. At-least-once mode uses that producer for the offset writes alone (records go through a plain
idempotent producer, without transaction overhead); exactly-once mode sends records and offsets through it.
A fenced invocation stops quietly (outcome FENCED): the records it produced but could not commit are produced
again by its successor (at-least-once) or were never visible to read_committed consumers (exactly-once).

Warm invocations. Steps 2-3 (two producers, `init_transactions()`, the task's start) are most of an invocation's
fixed cost, so a container keeps its started task, producers and pipeline after an invocation that ended with
everything committed, and its next invocation of the same task runs on them when it is safe to: the connector's
config and the task's config are unchanged and the offsets topic still holds exactly the offsets this runner
committed last (read to its end first; anything else means another container ran the task since, and the
invocation starts afresh: fence, read the offsets, start the task). Safety does not rest on that check: a warm
runner's transactional producer keeps its epoch, so once any other invocation has called `init_transactions()`
the warm one's next commit is refused (FENCED) and offsets still never go back; the check spares the duplicates
it would otherwise produce first.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from connectless.connector import SourceConnector, SourceTask
from connectless.connector_config import CONNECTOR_CLASS, NAME, find_connector
from connectless.errors.config import ErrorsConfig
from connectless.errors.exceptions import ConnectError
from connectless.runtime.source_runner import SourceRunStats, SourceTaskRunner
from connectless.runtime.source_transactions import (
    OFFSETS_STORAGE_TOPIC,
    DeliveryOptions,
    RunAbortedError,
    TaskFencedError,
    TransactionBoundary,
    transactional_id,
)
from connectless.runtime.task_handler import TaskHandlerBase, TaskResult
from connectless.storage import OffsetStore, State, TargetState

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from connectless.kafka.settings import KafkaSettings
    from connectless.runtime.task_handler import StateStores
    from connectless.storage import ConfigStore, StatusStore

log = logging.getLogger(__name__)

CLUSTER_ENV: Final = "CONNECTLESS_CLUSTER_ID"  # the transactional.id prefix (Kafka Connect's group.id)
MARGIN_ENV: Final = "CONNECTLESS_SOURCE_SAFETY_MARGIN_MS"
MAX_RECORDS_ENV: Final = "CONNECTLESS_SOURCE_MAX_RECORDS"
MAX_BYTES_ENV: Final = "CONNECTLESS_SOURCE_MAX_BYTES"
MAX_IDLE_ENV: Final = "CONNECTLESS_SOURCE_MAX_IDLE_MS"
COMMIT_INTERVAL_ENV: Final = "CONNECTLESS_SOURCE_COMMIT_INTERVAL_MS"
KEEP_WARM_ENV: Final = "CONNECTLESS_SOURCE_KEEP_WARM"  # "false": every invocation fences and starts afresh
# "false": exactly-once with a transaction per poll on one producer, poll and commit in turn (Kafka Connect's order)
PIPELINE_ENV: Final = "CONNECTLESS_SOURCE_PIPELINE"
DEFAULT_MARGIN_S: Final = 10.0
WARM_CHECK_S: Final = 0.5  # how long a warm task waits for the offsets topic's transactions to settle


class SourceTaskFailedError(ConnectError):
    """The task failed; its status is FAILED with the trace. The invocation fails so that Lambda counts it."""


class ReplaysExhaustedError(ConnectError):
    """The task's work kept being aborted for longer than errors.retry.timeout."""


@dataclass
class SourceInvocationResult(TaskResult):
    """What one invocation did; the function turns it into its response and metrics."""

    connector: str
    task: int
    outcome: str = "RAN"  # RAN, PAUSED, STOPPED, UNKNOWN, FENCED, ABORTED (replaying next time), FAILED
    records_in: int = 0  # polled
    records_out: int = 0  # produced and acknowledged (committed, with exactly-once)
    records_dropped: int = 0  # by a transform
    records_dead_lettered: int = 0  # failed and skipped under errors.tolerance=all
    bytes_out: int = 0
    offsets_committed: int = 0
    transactions: int = 0
    duration_s: float = 0.0

    def response(self) -> dict[str, Any]:
        response = asdict(self)
        del response["task_failures"], response["error"]
        return response

    def metrics(self, duration_s: float) -> dict[str, tuple[str, float]]:
        return {
            "RecordsIn": ("Count", self.records_in),
            "RecordsOut": ("Count", self.records_out),
            "RecordsDropped": ("Count", self.records_dropped),
            # tolerated failures, as the sink counts them (the DeadLetteredRecordsAlarm of template.yaml sums them)
            "RecordsDeadLettered": ("Count", self.records_dead_lettered),
            "BytesOut": ("Bytes", self.bytes_out),
            "BatchDuration": ("Milliseconds", round(duration_s * 1000, 3)),
            "TaskFailures": ("Count", self.task_failures),  # the task was set FAILED
        }


@dataclass
class _WarmTask:
    """A task left started by an invocation that committed everything, with the configs it was started from."""

    runner: SourceTaskRunner
    config: dict[str, str]
    task_config: dict[str, str]


@dataclass(frozen=True)
class SourceBudget:
    """Where one invocation stops: the safety margin before the Lambda deadline, and optional budgets."""

    safety_margin_s: float = DEFAULT_MARGIN_S
    max_records: int | None = None
    max_bytes: int | None = None
    max_idle_s: float | None = None
    default_run_s: float = 60.0  # when no Lambda deadline is known

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SourceBudget:
        def number(name: str) -> int | None:
            raw = env.get(name, "").strip()
            return int(raw) if raw else None

        margin, idle = number(MARGIN_ENV), number(MAX_IDLE_ENV)
        return cls(
            safety_margin_s=DEFAULT_MARGIN_S if margin is None else margin / 1000,
            max_records=number(MAX_RECORDS_ENV),
            max_bytes=number(MAX_BYTES_ENV),
            max_idle_s=None if idle is None else idle / 1000,
        )


class SourceTaskHandler(TaskHandlerBase):
    """The warm state of a source function: Kafka settings and the three state stores, started once.

    Example:
        handler = SourceTaskHandler.from_env()
        result = handler.handle("orders", 0, remaining_s=lambda: context.get_remaining_time_in_millis() / 1000)
    """

    USES_OFFSETS = True
    FUNCTION_NAME = "connectless-source"
    DONE_MESSAGE = "source run done"
    FAILED_MESSAGE = "source task failed; its status is FAILED"
    # e.g. the state topics unreadable during a broker outage: nothing ran, the next scheduled run retries
    FAILED_BEFORE_TASK_MESSAGE = "source invocation failed before its task ran; the task's status is unchanged"

    def __init__(
        self,
        settings: KafkaSettings,
        configs: ConfigStore | None,
        offsets: OffsetStore,
        statuses: StatusStore | None,
        *,
        worker_id: str = "lambda",
        cluster_id: str = "connectless",
        budget: SourceBudget | None = None,
        commit_interval_s: float = 5.0,
        topic_statuses: StatusStore | None = None,
        keep_warm: bool = True,
        pipelined: bool = True,
    ) -> None:
        super().__init__(statuses, worker_id)
        self.settings = settings
        self.configs = configs
        self.offsets = offsets
        # where the active-topic records go (KIP-558): by default `statuses`; None with it: none are written
        self.topic_statuses = statuses if topic_statuses is None else topic_statuses
        self.cluster_id = cluster_id
        self.budget = budget or SourceBudget()
        self.commit_interval_s = commit_interval_s
        self.keep_warm = keep_warm
        self.pipelined = pipelined  # exactly-once, a transaction per poll: two producers take turns (source_runner)
        self._warm: dict[tuple[str, int], _WarmTask] = {}
        self.warm_invocations = 0  # invocations that ran on a task kept from the previous one
        self._offset_stores: dict[str, OffsetStore] = {}
        self._replaying: dict[tuple[str, int], float] = {}  # task -> when its first unreplayed abort happened

    @classmethod
    def _from_env(
        cls, settings: KafkaSettings, stores: StateStores, env: Mapping[str, str], worker_id: str
    ) -> SourceTaskHandler:
        assert stores.offsets is not None
        interval = env.get(COMMIT_INTERVAL_ENV, "").strip()
        return cls(
            settings,
            stores.configs,
            stores.offsets,
            stores.statuses,
            worker_id=worker_id,
            cluster_id=env.get(CLUSTER_ENV, "connectless"),
            budget=SourceBudget.from_env(env),
            commit_interval_s=int(interval) / 1000 if interval else 5.0,
            keep_warm=env.get(KEEP_WARM_ENV, "true").strip().lower() != "false",
            pipelined=env.get(PIPELINE_ENV, "true").strip().lower() != "false",
        )

    # -- one Lambda invocation: {"connector": C, "task": N} from EventBridge Scheduler --------------
    @classmethod
    def invocation_keys(cls, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return {"connector": str(event["connector"]), "task": int(event.get("task", 0))}

    def _invoke(self, event: Mapping[str, Any], context: Any, connector: str) -> SourceInvocationResult:
        task = int(event.get("task", 0))
        return self.handle(connector, task, remaining_s=lambda: context.get_remaining_time_in_millis() / 1000)

    @classmethod
    def failed_result(cls, event: Mapping[str, Any], connector: str) -> SourceInvocationResult:
        return SourceInvocationResult(connector, int(event.get("task", 0)), outcome="FAILED")

    def handle(
        self,
        connector: str,
        task: int,
        remaining_s: Callable[[], float] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> SourceInvocationResult:
        """Run task `task` of `connector` once, with its configs and target state from the config topic.
        Raises SourceTaskFailedError when the task failed.

        `should_stop` (standalone mode's shutdown) ends the run early, committing as at its deadline."""
        with self._lock:  # Lambda runs one invocation per container at a time; so does this object
            start = time.perf_counter()
            result = SourceInvocationResult(connector, task)
            try:
                configs = self._topic_configs(result)
                if configs is not None:
                    self._run(result, *configs, remaining_s, should_stop or _never)
            finally:
                result.duration_s = time.perf_counter() - start
            return result

    def run(
        self,
        connector_config: Mapping[str, str],
        task_config: Mapping[str, str],
        task: int,
        remaining_s: Callable[[], float] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> SourceInvocationResult:
        """Run task `task` once with the configs given (standalone mode: the worker's own, which starts and stops
        its tasks itself). No config topic is read. Raises SourceTaskFailedError when the task failed."""
        with self._lock:
            start = time.perf_counter()
            result = SourceInvocationResult(connector_config[NAME], task)
            try:
                self._run(result, connector_config, task_config, remaining_s, should_stop or _never)
            finally:
                result.duration_s = time.perf_counter() - start
            return result

    def _topic_configs(self, result: SourceInvocationResult) -> tuple[Mapping[str, str], Mapping[str, str]] | None:
        """(connector config, task config) from the config topic, or None (outcome set) when not to run."""
        if self.configs is None:
            raise ConnectError("this handler has no config store: call run() with the configs")
        connector, task_id = result.connector, result.task
        self.configs.refresh()
        config = self.configs.connector_config(connector)
        task_config = self.configs.snapshot().task_config(connector, task_id)
        if config is None or task_config is None:
            _stop_quietly(self._take_warm(connector, task_id))
            log.warning("source task %s-%d is not in the config topic; nothing to run", connector, task_id)
            result.outcome = "UNKNOWN"
            return None
        state = self.configs.target_state(connector) or TargetState.STARTED
        if state is not TargetState.STARTED:
            _stop_quietly(self._take_warm(connector, task_id))
            result.outcome = state.value
            return None
        return config, task_config

    def _run(
        self,
        result: SourceInvocationResult,
        config: Mapping[str, str],
        task_config: Mapping[str, str],
        remaining_s: Callable[[], float] | None,
        should_stop: Callable[[], bool],
    ) -> None:
        connector, task_id = result.connector, result.task
        warm = self._warm.pop((connector, task_id), None)  # in use by this invocation, or released below
        deadline = time.monotonic() + self._run_seconds(remaining_s)
        runner: SourceTaskRunner | None = None
        replaced: SourceTaskRunner | None = None  # the last runner whose work was abandoned (for its counts)
        replays = 0
        try:
            while True:
                try:
                    candidate, warm = warm, None
                    runner = self._start_runner(result, config, task_config, candidate, replaced)
                    replaced = None  # its counts are the new runner's now; its producers go with it
                    self.set_status(connector, task_id, State.RUNNING)
                    budget = self.budget
                    self._running(runner)
                    runner.run(
                        deadline,
                        should_stop=should_stop,
                        max_records=budget.max_records,
                        max_bytes=budget.max_bytes,
                        max_idle_s=budget.max_idle_s,
                    )
                    break
                except RunAbortedError as exc:
                    _stop_quietly(runner)  # nothing more is committed: the next runner replays from the offsets
                    replaced, runner = runner or replaced, None
                    self._before_replay(result, config, exc, replays, deadline, should_stop)
                    if result.outcome == "ABORTED":
                        return
                    replays += 1
            self._replaying.pop((connector, task_id), None)
            assert runner is not None
            if self.keep_warm and not should_stop():
                self._warm[(connector, task_id)] = _WarmTask(runner, dict(config), dict(task_config))
            else:
                runner.stop()
        except TaskFencedError:
            log.warning("source task %s-%d was fenced by a newer invocation; stopping", connector, task_id)
            result.outcome = "FENCED"
            _stop_quietly(runner)
        except Exception as exc:
            self._replaying.pop((connector, task_id), None)
            result.outcome = "FAILED"
            self.set_status(connector, task_id, State.FAILED, traceback.format_exc())
            _stop_quietly(runner)
            raise SourceTaskFailedError(f"source task {connector}-{task_id} failed: {exc}") from exc
        finally:
            if runner is not None or replaced is not None:
                _copy_stats(runner or replaced, result)  # type: ignore[arg-type]

    def _start_runner(
        self,
        result: SourceInvocationResult,
        config: Mapping[str, str],
        task_config: Mapping[str, str],
        warm: _WarmTask | None,
        replaced: SourceTaskRunner | None,
    ) -> SourceTaskRunner:
        """The warm runner when it may run this invocation, else a fresh one, started; a replay's runner counts on
        from the one it replaces and retries no longer than the replays may."""
        connector, task_id = result.connector, result.task
        if replaced is None and warm is not None and self._still_valid(warm, connector, config, task_config):
            warm.runner.stats = SourceRunStats()  # this invocation's counts
            self.warm_invocations += 1
            return warm.runner
        _stop_quietly(warm.runner if warm else None)
        runner = self._runner(connector, task_id, config, task_config)
        if replaced is not None:
            runner.adopt_stats(replaced)
            runner.retry_until = self._replay_ends(result, config)
        try:
            runner.start()
        except BaseException:
            _stop_quietly(runner)
            raise
        return runner

    def _replay_ends(self, result: SourceInvocationResult, config: Mapping[str, str]) -> float | None:
        since = self._replaying.get((result.connector, result.task))
        timeout_ms = ErrorsConfig.from_config(config).retry_timeout_ms
        return None if since is None or timeout_ms < 0 else since + timeout_ms / 1000

    def _before_replay(
        self,
        result: SourceInvocationResult,
        config: Mapping[str, str],
        aborted: RunAbortedError,
        replays: int,
        deadline: float,
        should_stop: Callable[[], bool],
    ) -> None:
        """Raise ReplaysExhaustedError once errors.retry.timeout has passed since the first abort; else wait the
        backoff, or set outcome ABORTED when this invocation has no time left for a replay."""
        key = (result.connector, result.task)
        errors = ErrorsConfig.from_config(config)
        since = self._replaying.setdefault(key, time.monotonic())
        elapsed_s = time.monotonic() - since
        if errors.retry_timeout_ms >= 0 and elapsed_s * 1000 >= errors.retry_timeout_ms:
            raise ReplaysExhaustedError(
                f"{aborted}. Replayed from the committed offsets for {elapsed_s:.0f} s, and errors.retry.timeout="
                f"{errors.retry_timeout_ms} ms allows no more: the task fails. Its records since the last commit "
                "were never committed (no read_committed consumer saw them) and are produced again when it is "
                "restarted. If the broker was up, the transaction timed out: raise "
                "producer.override.transaction.timeout.ms, or make transactions smaller (transaction.boundary=poll)"
            ) from aborted
        backoff_s = min(0.3 * 2**replays, errors.retry_delay_max_ms / 1000)
        log.warning(
            "source task %s-%d: %s; replaying from the committed offsets in %.1f s (replay %d, %.0f s since the first "
            "abort)",
            result.connector, result.task, aborted, backoff_s, replays + 1, elapsed_s,
        )  # fmt: skip
        wake = time.monotonic() + backoff_s
        while time.monotonic() < wake and time.monotonic() < deadline and not should_stop():
            time.sleep(min(0.1, max(0.0, wake - time.monotonic())))
        if time.monotonic() >= deadline or should_stop():
            result.outcome = "ABORTED"  # the next invocation replays (the window keeps counting)

    def _still_valid(
        self, warm: _WarmTask, connector: str, config: Mapping[str, str], task_config: Mapping[str, str]
    ) -> bool:
        """The warm task may run this invocation: same configs, and no other invocation committed since."""
        if warm.config != config or warm.task_config != task_config:
            log.info("config of source task %s-%d changed: starting it afresh", connector, warm.runner.task_id)
            return False
        offsets, committed = warm.runner.offsets, warm.runner.committed.values()
        # The broker writes a transaction's commit markers after commit_transaction() returns, ours or another
        # container's: until they are written the topic's stable end hides that commit. Wait for the topic to
        # settle (briefly: a transaction still open after that means the task runs elsewhere right now).
        give_up = time.monotonic() + WARM_CHECK_S
        while not offsets.log.transactions_settled():
            if time.monotonic() >= give_up:
                log.info("source task %s-%d: offsets topic busy, starting it afresh", connector, warm.runner.task_id)
                return False
            time.sleep(0.002)  # the markers take a few ms: a longer nap is most of a warm invocation's cost
        offsets.refresh()
        if all(offsets.offset(connector, partition) == offset for partition, offset in committed):
            return True
        log.info("source task %s-%d ran elsewhere since: starting it afresh", connector, warm.runner.task_id)
        return False

    def _take_warm(self, connector: str, task_id: int) -> SourceTaskRunner | None:
        """The runner kept warm for this task, no longer kept (its caller stops it)."""
        warm = self._warm.pop((connector, task_id), None)
        return warm.runner if warm else None

    def _running(self, runner: SourceTaskRunner) -> None:
        """Hook: `runner` runs this invocation (standalone mode reads its progress live)."""

    def close(self) -> None:
        """Stop the tasks kept warm (everything they produced is committed already)."""
        with self._lock:
            warm, self._warm = list(self._warm.values()), {}
        for task in warm:
            _stop_quietly(task.runner)

    def _run_seconds(self, remaining_s: Callable[[], float] | None) -> float:
        if remaining_s is None:
            return self.budget.default_run_s
        return max(0.0, remaining_s() - self.budget.safety_margin_s)

    def _runner(
        self, connector: str, task_id: int, config: Mapping[str, str], task_config: Mapping[str, str]
    ) -> SourceTaskRunner:
        plugin = find_connector(config[CONNECTOR_CLASS])
        instance = plugin.cls()
        if not isinstance(instance, SourceConnector):
            raise ConnectError(f"connector {connector!r} is not a source connector")
        offsets = self._offsets_for(config)
        offsets_topic = getattr(offsets.log, "topic", "connect-offsets")
        txn_id = transactional_id(self.cluster_id, connector, task_id)
        delivery = DeliveryOptions.from_config(config, txn_id, offsets_topic)
        if delivery.exactly_once:
            _check_exactly_once(instance, config, delivery)
        task_class = instance.task_class()
        if not issubclass(task_class, SourceTask):
            raise ConnectError(f"{task_class.__name__} is not a SourceTask")
        return SourceTaskRunner(
            connector,
            task_id,
            task_class(),
            task_config,
            config,
            self.settings,
            offsets,
            commit_interval_s=self.commit_interval_s,
            delivery=delivery,
            statuses=self.topic_statuses,
            pipelined=self.pipelined,
        )

    def _offsets_for(self, config: Mapping[str, str]) -> OffsetStore:
        """The connector's own offsets topic (offsets.storage.topic) when it names one, else the worker's."""
        topic = (config.get(OFFSETS_STORAGE_TOPIC) or "").strip()
        if not topic or topic == getattr(self.offsets.log, "topic", None):
            return self.offsets
        store = self._offset_stores.get(topic)
        if store is None:
            from connectless.storage.topics import offset_store

            store = offset_store(self.settings, topic)
            store.start()
            self._offset_stores[topic] = store
        return store


def _never() -> bool:
    return False


def _check_exactly_once(connector: SourceConnector, config: Mapping[str, str], delivery: DeliveryOptions) -> None:
    """Kafka Connect refuses exactly.once.support=required unless the connector says it supports it."""
    if connector.exactly_once_support(config) is not True:
        raise ConnectError(
            f"exactly.once.support=required but connector {type(connector).__name__} does not declare exactly-once "
            "support"
        )
    if delivery.boundary is TransactionBoundary.CONNECTOR:
        can_define = getattr(connector, "can_define_transaction_boundaries", None)
        if not callable(can_define) or can_define(config) is not True:
            raise ConnectError(
                f"transaction.boundary=connector but connector {type(connector).__name__} cannot define "
                "transaction boundaries"
            )


def _copy_stats(runner: SourceTaskRunner, result: SourceInvocationResult) -> None:
    stats = runner.stats
    result.records_in = stats.polled
    result.records_out = stats.produced
    result.records_dropped = stats.dropped
    result.records_dead_lettered = stats.dead_lettered
    result.bytes_out = stats.bytes_out
    result.offsets_committed = stats.offsets_committed
    result.transactions = stats.transactions


def _stop_quietly(runner: SourceTaskRunner | None) -> None:
    """Release the task without committing anything: whatever is uncommitted is produced again next time."""
    if runner is None:
        return
    for release in (runner.task.stop, runner.pipeline.close):
        try:
            release()
        except Exception:
            log.warning("releasing source task %s-%d", runner.connector, runner.task_id, exc_info=True)
