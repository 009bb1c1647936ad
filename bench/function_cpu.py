"""The sink function's CPU per record on the Lambda path, offline: the runtime's parse of the event, then the handler.

A 10,000-record Kafka event of the side-by-side workload (bench/sidebyside/workload.py: ~300 B JSON values, keyed,
one partition), as Lambda's poller encodes it, is parsed with simplejson (what the Lambda Python runtime,
awslambdaric, parses events with) and run through SinkBatchHandler into FileStreamSink with the three-transform
chain; no Kafka, no config topic. The CPU time (thread_time) of each part, per record, best of --rounds:

    python bench/function_cpu.py [--rounds 7] [--records 10000] [--gc lambda|default] [--profile]
    python bench/function_cpu.py --shared /other/checkout/shared  # the same on another checkout's library
    python bench/function_cpu.py --through-app  # through functions/sink_task/app.py's lambda_handler, Lambda's env
    python bench/function_cpu.py --runtime-client managed  # the event parsed as awslambdaric does (simplejson)

--runtime-client connectless (the default, as template.yaml deploys the sink: SinkRuntimeClient) parses the event
as app.lambda_handler_bytes does for connectless.runtime.lambda_runtime_client: lambda_sink.events.loads_event (the
event's bytes straight into RawRecords in C, else orjson; orjson on a checkout from before it); managed parses it with
simplejson, as the managed runtime's client (awslambdaric) does before it calls app.lambda_handler. "free_us" is the
event's deallocation, apart (awslambdaric frees it after the response; the bytes entry when the handler returns).

--gc lambda (the default) leaves the collector as functions/sink_task sets it on Lambda (its import raises the
young-generation threshold, runtime/gcpause.py); --gc default keeps CPython's thresholds, as before 2026-12-06.
The warm state is frozen (gc.freeze) after a first batch, as the function does. --profile prints a cProfile of the
rounds instead. Prints one JSON line ("native": connectless.native's C extension in use; CONNECTLESS_NATIVE=0 turns
it off). The machine is shared: compare checkouts by alternating runs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--gc", choices=("lambda", "default"), default="lambda")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--runtime-client", choices=("connectless", "managed"), default="connectless",
                        help="who parses the event: connectless (orjson) or managed (simplejson)")  # fmt: skip
    parser.add_argument("--shared", type=Path, default=BENCH.parent / "shared", help="the library to measure")
    parser.add_argument("--through-app", action="store_true",
                        help="the handler as Lambda calls it: functions/sink_task/app.py's lambda_handler (Powertools' "
                             "logger, metrics and tracer) with Lambda's environment, the configs given")  # fmt: skip
    args = parser.parse_args()
    sys.path[0:0] = [str(BENCH), str(args.shared)]
    if args.through_app:
        from sidebyside.runs import LAMBDA_ENV

        os.environ.update(LAMBDA_ENV)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    import orjson
    import simplejson

    from connectless.lambda_sink.events import encode_record, parse_event
    from connectless.lambda_sink.handler import SinkBatchHandler
    from connectless.raw_records import RawRecord
    from sidebyside.workload import CHAIN, CONVERTERS, FIRST_TIMESTAMP_MS, make_value

    if args.gc == "lambda":
        try:
            from connectless.runtime.gcpause import raise_gc_threshold_on_lambda
        except ImportError:  # a checkout from before it
            pass
        else:
            raise_gc_threshold_on_lambda({"LAMBDA_TASK_ROOT": "/var/task"})
    n = args.records
    records = (
        RawRecord("bench", 0, i, FIRST_TIMESTAMP_MS + i, "CreateTime", str(i).encode(), make_value(i)) for i in range(n)
    )
    payload = (
        b'{"eventSource":"SelfManagedKafka","bootstrapServers":"localhost:9092","records":{"bench-0":['
        + b",".join(map(encode_record, records))
        + b"]}}"
    )
    out = Path(tempfile.mkdtemp(prefix="function-cpu-")) / "out.txt"
    config = {"name": "bench", "connector.class": "FileStreamSink", "tasks.max": "1", "topics": "bench",
              "file": str(out), **CHAIN, **CONVERTERS}  # fmt: skip
    handler = SinkBatchHandler(None, None, None)
    run = handler.run
    if args.through_app:
        from connectless.runtime.lambda_context import EmulatedLambdaContext
        from sidebyside.children import SINK_APP, load_handler_module

        app = load_handler_module(SINK_APP)
        handler._topic_configs = lambda _connector: (config, config)  # type: ignore[method-assign]
        app.function.handler = handler
        context = EmulatedLambdaContext("connectless-sink", "bench", timeout_s=300)

        def run(_config: object, _task_config: object, event: object) -> object:
            return app.lambda_handler(event, context)

        # Powertools' log and metric lines go to stdout (fd 1): to /dev/null while measuring, not into the report
        quiet = os.open(os.devnull, os.O_WRONLY)
        report_fd = os.dup(1)
        os.dup2(quiet, 1)

    loads = orjson.loads if args.runtime_client == "connectless" else simplejson.loads
    if args.runtime_client == "connectless":
        try:
            from connectless.lambda_sink.events import loads_event as loads
        except ImportError:  # a checkout from before it: app.lambda_handler_bytes parsed with orjson
            pass

    def one() -> tuple[float, float, float, float]:
        cpu0 = time.thread_time()
        event = loads(payload)
        cpu1 = time.thread_time()
        parse_event(event)  # the handler's first step alone: the event's records decoded
        cpu2 = time.thread_time()
        run(config, config, event)
        cpu3 = time.thread_time()
        del event
        cpu4 = time.thread_time()
        return cpu1 - cpu0, cpu2 - cpu1, cpu3 - cpu2, cpu4 - cpu3

    one()
    gc.collect()
    gc.freeze()
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    rounds = [one() for _ in range(args.rounds)]
    if profile is not None:
        profile.disable()
    handler.close()
    out.unlink()
    if args.through_app:
        sys.stdout.flush()
        os.dup2(report_fd, 1)
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return 0
    parse, decode, handle, free = (min(r[i] for r in rounds) / n * 1e6 for i in range(4))
    try:
        from connectless import native  # a checkout from before it has none
    except ImportError:
        native_in_use = False
    else:  # (an editable install may find this checkout's module for another checkout's package: not in use there)
        native_in_use = native.records is not None and Path(native.__file__ or "").is_relative_to(args.shared.resolve())
    print(json.dumps({
        "shared": str(args.shared), "runtime_client": args.runtime_client,
        "gc": args.gc, "native": native_in_use, "through_app": args.through_app,
        "records": n, "rounds": args.rounds,
        "event_bytes_per_record": round(len(payload) / n, 1), "parse_us": round(parse, 3),
        "handler_us": round(handle, 3), "of_which_decode_us": round(decode, 3), "function_us": round(parse + handle, 3),
        "free_us": round(free, 3),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
