"""The Connectless side of each run, in its own process so that its CPU and memory are its own.

    python -m sidebyside.children sink   STATS_JSON  # event-source-mapping emulator -> functions/sink_task
    python -m sidebyside.children source STATS_JSON  # SourceTaskRunner over FileStreamSource, offsets committed
    python -m sidebyside.children source-function STATS_JSON  # functions/source_task fired by the local scheduler
    python -m sidebyside.children batch  STATS_JSON  # one ~6 MB Lambda event through the sink handler, twice
    python -m sidebyside.children function IN_FD OUT_FD  # the sink function's process (BENCH_FUNCTION_PROCESS=1)

Settings come from BENCH_* environment variables (see run.py); each child runs until SIGTERM (or, for
`batch`, until done) and then writes what it measured inside the process to STATS_JSON. With BENCH_PROFILE=FILE
the whole run goes under cProfile, whose stats land in FILE.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

STARTED = time.time()  # before the heavy imports below: the process is as cold as it gets here

REPO = Path(__file__).resolve().parents[2]
SINK_APP = REPO / "functions" / "sink_task" / "app.py"
SOURCE_APP = REPO / "functions" / "source_task" / "app.py"
EMPTY_INVOCATIONS = 5  # after the run: invocations with nothing to poll, warm and not, for the fixed cost


def load_handler_module(path: Path) -> Any:
    """functions/<name>/app.py as Lambda loads it: a top-level module named `app`."""
    spec = importlib.util.spec_from_file_location("app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    return module


def _stop_event() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def run_sink(stats_path: Path) -> None:
    from connectless.kafka.settings import KafkaSettings
    from connectless.lambda_sink.events import record_count
    from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

    stop = _stop_event()
    env = os.environ
    # With the function in a process of its own, this process is Lambda's poller: it never loads the function's code.
    own_process = env.get("BENCH_JSON_ROUND_TRIP", "0") == "1" and env.get("BENCH_FUNCTION_PROCESS", "0") == "1"
    app = None if own_process else load_handler_module(SINK_APP)
    imported = time.time()
    settings = KafkaSettings(env["KAFKA_BOOTSTRAP_SERVERS"])
    stats: dict[str, Any] = {
        "started": STARTED,
        "imported": imported,
        "invocations": 0,
        "records": 0,
        "handler_cpu_s": 0.0,
        "handler_wall_s": 0.0,
        "first_invoke_start": None,
        "first_invoke_end": None,
        "batch_times": [],
    }

    def invoke(event: dict[str, Any], context: Any) -> Any:
        # Only this is what Lambda bills: the poller (consuming, batching, committing) is the service's.
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        if stats["first_invoke_start"] is None:
            stats["first_invoke_start"] = time.time()
        try:
            assert app is not None
            return app.lambda_handler(event, context)
        finally:
            wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
            stats["handler_cpu_s"] += cpu
            stats["handler_wall_s"] += wall
            stats["invocations"] += 1
            count = record_count(event)  # without building an in-process event's `records`
            stats["records"] += count
            stats["batch_times"].append((count, wall, cpu))  # for the scale model's fixed + per-record time
            if stats["first_invoke_end"] is None:
                stats["first_invoke_end"] = time.time()

    config = MappingConfig(
        env["BENCH_CONNECTOR"],
        [env["BENCH_TOPIC"]],
        function_name="connectless-sink",
        batch_size=int(env.get("BENCH_BATCH_SIZE", "10000")),
        maximum_batching_window_s=float(env.get("BENCH_BATCHING_WINDOW_S", "0.5")),
    )
    # As standalone mode runs it (InProcessSinkRunner): the event handed over in-process, without the JSON round
    # trip (BENCH_JSON_ROUND_TRIP=1 puts it back: the cost of the Lambda runtime's JSON parse, and the poller's
    # JSON, on top). The `batch` run measures a JSON event as Lambda delivers it.
    round_trip = env.get("BENCH_JSON_ROUND_TRIP", "0") == "1"
    stats["json_round_trip"] = round_trip
    function: FunctionProcess | None = None
    if round_trip and env.get("BENCH_FUNCTION_PROCESS", "0") == "1":
        # As on Lambda: the poller (this process) builds the event's JSON and polls ahead while the function's
        # own process parses it with the runtime's parser and runs the handler.
        function = FunctionProcess(stats)
        stats["parse_cpu_s"] = 0.0
        stats["function_process"] = True
    elif round_trip:
        stats["parse_cpu_s"] = 0.0
        stats["event_parser"] = runtime_parser(stats)
    esm = EventSourceMappingEmulator(
        settings, config, invoke, json_round_trip=round_trip, submit=function.submit if function else None
    )
    esm.start()
    try:
        esm.run(stop.is_set)
    finally:
        esm.stop()
        if function is not None:
            function.close()
        payloads = esm.stats.payload_sizes
        stats["batches"] = esm.stats.batches
        stats["mean_payload_bytes"] = sum(payloads) / len(payloads) if payloads else 0
        stats["max_payload_bytes"] = max(payloads, default=0)
        if app is not None and app.function.handler is not None:
            app.function.handler.close()
        stats_path.write_text(json.dumps(stats))


class FunctionProcess:
    """The sink function in a process of its own, fed event JSON bytes over a pipe (8-byte length + bytes);
    it answers with the response and the CPU its parse and handler took, which `stats` adds up."""

    def __init__(self, stats: dict[str, Any]) -> None:
        import subprocess

        self.stats = stats
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        _widen(self._to_child)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sidebyside.children", "function", str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        ready = json.loads(_read_frame(self._from_child))
        self.stats["imported"] = ready["imported"]
        self.stats["runtime_client"] = ready["runtime_client"]
        self.stats["event_parser"] = RUNTIME_CLIENTS[ready["runtime_client"]]
        self.stats["function_pid"] = self.proc.pid

    def submit(self, payload: bytes, _context: Any) -> Any:
        if self.stats["first_invoke_start"] is None:
            self.stats["first_invoke_start"] = time.time()
        _write_frame(self._to_child, payload)

        def wait() -> Any:
            import orjson

            reply = orjson.loads(_read_frame(self._from_child))
            if reply["records"] is None:  # in this process, not the function's: one "offset" key per event record
                reply["records"] = payload.count(b'"offset":')  # (the bench's records carry no header of that name)
            stats = self.stats
            stats["parse_cpu_s"] += reply["parse_cpu_s"]
            stats["handler_cpu_s"] += reply["handler_cpu_s"]
            stats["handler_wall_s"] += reply["handler_wall_s"]
            stats["function_runqueue_wait_s"] = stats.get("function_runqueue_wait_s", 0.0) + reply["runqueue_wait_s"]
            stats["invocations"] += 1
            stats["records"] += reply["records"]
            stats["batch_times"].append((reply["records"], reply["handler_wall_s"], reply["handler_cpu_s"]))
            if stats["first_invoke_end"] is None:
                stats["first_invoke_end"] = time.time()
            if reply["error"] is not None:
                raise RuntimeError(reply["error"])
            return reply["response"]

        return wait

    def close(self) -> None:
        from sidebyside.procstat import sample

        _write_frame(self._to_child, b"")  # no more events: the function process reports its CPU and leaves
        final = json.loads(_read_frame(self._from_child))
        self.stats["function_process_cpu_s"] = final["cpu_s"]
        self.stats["function_process_peak_rss_bytes"] = final["peak_rss_bytes"]
        self.stats["function_gc"] = final["gc"]
        self.stats["poller_process_cpu_s"] = sample().cpu_s
        self.proc.wait(30)
        os.close(self._to_child)
        os.close(self._from_child)


def _write_frame(fd: int, data: bytes) -> None:
    header = len(data).to_bytes(8, "big")
    while header:
        header = header[os.write(fd, header) :]
    view = memoryview(data)  # not copied into one frame: an event is megabytes
    while view:
        view = view[os.write(fd, view) :]


def _widen(fd: int) -> None:
    """A 1 MiB pipe buffer (Linux's default limit for a process) instead of 64 KiB: a 6 MB event crosses in 6 writes
    instead of 90, each a wake-up of the reader."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the limit: the default buffer
        pass


def _read_frame(fd: int) -> bytes:
    def exactly(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the other process closed the pipe")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    return exactly(int.from_bytes(exactly(8), "big"))


# Which Lambda runtime client runs the function, as template.yaml deploys it (SinkRuntimeClient, default
# connectless): "connectless" = connectless.runtime.lambda_runtime_client, which hands app.lambda_handler_bytes the
# event's bytes (read inside the handler: lambda_sink.events.loads_event, in C into records, else orjson);
# "managed" = awslambdaric, which parses with simplejson first.
RUNTIME_CLIENTS = {
    "connectless": "connectless (the event's bytes: C into records, else orjson)",
    "managed": "awslambdaric (simplejson)",
}


def runtime_client() -> str:
    client = os.environ.get("BENCH_RUNTIME_CLIENT", "connectless")
    if client not in RUNTIME_CLIENTS:
        raise SystemExit(f"BENCH_RUNTIME_CLIENT={client!r}: expected one of {', '.join(RUNTIME_CLIENTS)}")
    return client


def run_function(in_fd: int, out_fd: int) -> None:
    """The function's process: each frame is an event's JSON, handed to the handler as the template's runtime client
    does (BENCH_RUNTIME_CLIENT, runtime_client()): the bytes to app.lambda_handler_bytes, or parsed as the managed
    runtime does (awslambdaric: simplejson.loads) for app.lambda_handler; SIGTERM is the poller's (it closes us)."""
    import orjson

    from connectless.lambda_sink.events import record_count
    from connectless.runtime.lambda_context import EmulatedLambdaContext
    from sidebyside.procstat import sample

    try:
        import simplejson as runtime_json
    except ImportError:
        import json as runtime_json  # type: ignore[no-redef]

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raw_bytes = runtime_client() == "connectless"
    app = load_handler_module(SINK_APP)
    _write_frame(out_fd, json.dumps({"imported": time.time(), "runtime_client": runtime_client()}).encode())
    env = os.environ
    collections = GcWatch()
    profile = _function_profile()
    while payload := _read_frame(in_fd):
        if profile is not None:
            profile.enable()
        cpu0, wall0, queued0 = time.thread_time(), time.perf_counter(), _runqueue_wait_s()
        collections.phase = "parse"
        # awslambdaric's parse (the previous event is freed here, as in its loop); our client parses nothing: the
        # bytes entry reads them (loads_event: C, else orjson) and frees the event inside the handler's time
        event = payload if raw_bytes else runtime_json.loads(payload)
        cpu1 = time.thread_time()
        collections.phase = "handler"
        context = EmulatedLambdaContext("connectless-sink", env["BENCH_CONNECTOR"], timeout_s=300)
        error, response = None, None
        try:
            if raw_bytes:
                response = app.lambda_handler_bytes(event, context)
            else:
                response = app.lambda_handler(event, context)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        handler_cpu = time.thread_time() - cpu1
        wall = time.perf_counter() - wall0
        queued = _runqueue_wait_s() - queued0
        reply = {
            "parse_cpu_s": cpu1 - cpu0,
            "handler_cpu_s": handler_cpu,
            "handler_wall_s": wall,
            "runqueue_wait_s": queued,  # of the wall time: ready to run, waiting for a core
            "records": None if raw_bytes else record_count(event),  # (the raw bytes' records: counted by the poller)
            "error": error,
            "response": response,
        }
        collections.phase = "between"
        if profile is not None:
            profile.disable()
        _write_frame(out_fd, orjson.dumps(reply, default=str))
    if app.function.handler is not None:
        app.function.handler.close()
    if profile is not None:
        profile.dump_stats(env["BENCH_FUNCTION_PROFILE"])
    done = sample()
    final = {"cpu_s": done.cpu_s, "peak_rss_bytes": done.peak_rss_bytes, "gc": collections.summary()}
    _write_frame(out_fd, json.dumps(final).encode())


def _runqueue_wait_s() -> float:
    """This thread's time spent runnable but waiting for a core (Linux schedstat; 0 where there is none)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class GcWatch:
    """The cycle collector's passes in the function's process, per phase of an invocation (`phase`: parse, handler,
    between) and generation: how many, and the CPU time they took (gc.callbacks; nothing runs between passes)."""

    def __init__(self) -> None:
        import gc

        self.phase = "import"
        self.passes: dict[str, list[float]] = {}  # "phase/genN" -> [count, cpu_s]
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, when: str, info: dict[str, int]) -> None:
        if when == "start":
            self._start = time.thread_time()
            return
        entry = self.passes.setdefault(f"{self.phase}/gen{info['generation']}", [0, 0.0])
        entry[0] += 1
        entry[1] += time.thread_time() - self._start

    def summary(self) -> dict[str, dict[str, float]]:
        return {key: {"passes": count, "cpu_s": round(cpu, 6)} for key, (count, cpu) in sorted(self.passes.items())}


def _function_profile() -> Any:
    """A cProfile of the function's invocations (parse + handler) with BENCH_FUNCTION_PROFILE=FILE, else None."""
    if not os.environ.get("BENCH_FUNCTION_PROFILE"):
        return None
    import cProfile

    return cProfile.Profile()


def runtime_parser(stats: dict[str, Any]) -> str:
    """The emulator's JSON round trip parses the event as the template's runtime client has it parsed (runtime_client():
    orjson in app.lambda_handler_bytes, or awslambdaric's simplejson.loads) and counts that CPU time in
    `stats["parse_cpu_s"]`: it is inside the billed duration."""
    import types

    import orjson

    from connectless.standalone import esm_emulator

    try:
        import simplejson as runtime_json
    except ImportError:  # the bench extra is not installed: the stdlib's parser, a close stand-in
        import json as runtime_json  # type: ignore[no-redef]
    raw_bytes = runtime_client() == "connectless"
    loads = orjson.loads if raw_bytes else runtime_json.loads

    def parse(payload: bytes) -> Any:
        cpu0 = time.thread_time()
        try:
            return loads(payload)
        finally:
            stats["parse_cpu_s"] += time.thread_time() - cpu0

    esm_emulator.orjson = types.SimpleNamespace(dumps=orjson.dumps, loads=parse)
    if raw_bytes:
        return RUNTIME_CLIENTS["connectless"]
    return f"{runtime_json.__name__} {getattr(runtime_json, '__version__', '')}".strip()


def run_source(stats_path: Path) -> None:
    from connectless.connectors.file import FileStreamSourceTask
    from connectless.kafka.settings import KafkaSettings
    from connectless.runtime.source_runner import SourceTaskRunner
    from connectless.storage import KafkaLog, OffsetStore
    from connectless.storage.offsets import OFFSETS_TOPIC_PARTITIONS

    stop = _stop_event()
    imported = time.time()
    env = os.environ
    settings = KafkaSettings(env["KAFKA_BOOTSTRAP_SERVERS"])
    connector_config: dict[str, str] = json.loads(env["BENCH_CONNECTOR_CONFIG"])
    offsets = OffsetStore(KafkaLog(settings, env["BENCH_OFFSETS_TOPIC"], partitions=OFFSETS_TOPIC_PARTITIONS))
    offsets.start()
    offsets_read = time.time()
    runner = SourceTaskRunner(
        env["BENCH_CONNECTOR"],
        0,
        FileStreamSourceTask(),
        connector_config,
        connector_config,
        settings,
        offsets,
        commit_interval_s=1.0,
    )
    runner.start()
    started_task = time.time()
    try:
        while not stop.is_set():
            runner.run(time.monotonic() + 3600, should_stop=stop.is_set)
    finally:
        runner.stop()
        offsets.log.stop()
        s = runner.stats
        stats_path.write_text(
            json.dumps(
                {
                    "started": STARTED,
                    "imported": imported,
                    "offsets_read": offsets_read,
                    "task_started": started_task,
                    "polled": s.polled,
                    "produced": s.produced,
                    "offsets_committed": s.offsets_committed,
                }
            )
        )


def run_source_function(stats_path: Path) -> None:
    """functions/source_task/app.py as Lambda runs it, fired back to back by the local scheduler (as standalone
    mode and `connectless local` fire it), each invocation with the function's timeout as its remaining time. At
    SIGTERM: a few invocations with nothing left to poll, with the task kept warm and then without, whose
    durations are the fixed cost of an invocation."""
    from connectless.runtime.lambda_context import EmulatedLambdaContext
    from connectless.standalone.scheduler import BACK_TO_BACK, LocalScheduler

    stop = _stop_event()
    app = load_handler_module(SOURCE_APP)
    imported = time.time()
    connector = os.environ["BENCH_CONNECTOR"]
    invocations: list[dict[str, Any]] = []

    def fire(name: str, task: int) -> dict[str, Any]:
        context = EmulatedLambdaContext("connectless-source", None, timeout_s=300)
        handler = app.function.handler
        warm_before = handler.warm_invocations if handler is not None else 0
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        response = app.lambda_handler({"connector": name, "task": task}, context)
        row = {
            "wall_s": time.perf_counter() - wall0,
            "cpu_s": time.thread_time() - cpu0,
            "records": response["records_out"],
            "outcome": response["outcome"],
            "warm": app.function.handler.warm_invocations > warm_before,
            "transactions": response["transactions"],
        }
        return row

    def scheduled(name: str, task: int) -> None:
        if not stop.is_set():
            invocations.append(fire(name, task))

    scheduler = LocalScheduler(scheduled, max_workers=1)
    scheduler.start()
    scheduler.schedule(connector, 0, BACK_TO_BACK)
    try:
        stop.wait()
    finally:
        scheduler.stop(wait=True)
    empty: dict[str, list[dict[str, Any]]] = {}
    for label, keep_warm in (("warm", True), ("cold_task", False)):
        app.function.handler.keep_warm = keep_warm
        fire(connector, 0)  # settles the mode: the first one still runs on (or stops) the previous task
        empty[label] = [fire(connector, 0) for _ in range(EMPTY_INVOCATIONS)]
    app.function.handler.close()
    stats_path.write_text(
        json.dumps({"started": STARTED, "imported": imported, "invocations": invocations, "empty_invocations": empty})
    )


def run_batch(stats_path: Path) -> None:
    """Lambda's view of one big batch: the runtime receives the event as JSON bytes and parses it (stdlib json,
    as the Python runtime interface client does), then calls the handler; memory is measured around that."""
    from connectless.runtime.lambda_context import EmulatedLambdaContext
    from sidebyside.procstat import reset_peak_rss, sample

    app = load_handler_module(SINK_APP)
    after_import = sample()
    payload = Path(os.environ["BENCH_EVENT_FILE"]).read_bytes()
    runs = []
    for name in ("cold", "warm"):
        reset = reset_peak_rss()
        before = sample()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        event = json.loads(payload)
        parsed = time.perf_counter()
        records = sum(len(v) for v in event["records"].values())
        context = EmulatedLambdaContext("connectless-sink", os.environ["BENCH_CONNECTOR"], timeout_s=300)
        response = app.lambda_handler(event, context)
        del event
        after = sample()
        runs.append(
            {
                "invocation": name,
                "records": records,
                "payload_bytes": len(payload),
                "parse_s": parsed - wall0,
                "wall_s": time.perf_counter() - wall0,
                "cpu_s": time.process_time() - cpu0,
                "rss_before_bytes": before.rss_bytes,
                "peak_rss_bytes": after.peak_rss_bytes,
                "peak_reset": reset,
                "failures": len(response.get("batchItemFailures", [])),
            }
        )
    if app.function.handler is not None:
        app.function.handler.close()
    stats_path.write_text(
        json.dumps(
            {
                "after_import_rss_bytes": after_import.rss_bytes,
                "process_peak_rss_bytes": sample().peak_rss_bytes,
                "runs": runs,
            }
        )
    )


def main() -> int:
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the parent asks for stacks when a run stalls
    if sys.argv[1] == "function":
        run_function(int(sys.argv[2]), int(sys.argv[3]))
        return 0
    mode, stats = sys.argv[1], Path(sys.argv[2])
    run = {"sink": run_sink, "source": run_source, "source-function": run_source_function, "batch": run_batch}[mode]
    profile_to = os.environ.get("BENCH_PROFILE")
    if not profile_to:
        run(stats)
        return 0
    import cProfile

    # Every thread that matters is this one: the handler, the mapping's polling and the source loop run here.
    profiler = cProfile.Profile()
    try:
        profiler.runcall(run, stats)
    finally:
        profiler.dump_stats(profile_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
