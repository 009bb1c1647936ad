"""The sink function's CPU per record on the Lambda path, offline: the runtime's parse of the event, then the handler.

A 10,000-record Kafka event of the side-by-side workload (bench/sidebyside/workload.py: ~300 B JSON values, keyed,
one partition), as Lambda's poller encodes it, is parsed with simplejson (what the Lambda Python runtime,
awslambdaric, parses events with) and run through SinkBatchHandler into FileStreamSink with the three-transform
chain; no Kafka, no config topic. The CPU time (thread_time) of each part, per record, best of --rounds:

    python bench/function_cpu.py [--rounds 7] [--records 10000] [--gc lambda|default] [--profile]
    python bench/function_cpu.py --shared /other/checkout/shared  # the same on another checkout's library

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
    parser.add_argument("--shared", type=Path, default=BENCH.parent / "shared", help="the library to measure")
    args = parser.parse_args()
    sys.path[0:0] = [str(BENCH), str(args.shared)]

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

    def one() -> tuple[float, float, float]:
        cpu0 = time.thread_time()
        event = simplejson.loads(payload)
        cpu1 = time.thread_time()
        parse_event(event)  # the handler's first step alone: the event's records decoded
        cpu2 = time.thread_time()
        handler.run(config, config, event)
        cpu3 = time.thread_time()
        return cpu1 - cpu0, cpu2 - cpu1, cpu3 - cpu2

    one()
    gc.collect()
    gc.freeze()
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.rounds):
            one()
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        handler.close()
        out.unlink()
        return 0
    rounds = [one() for _ in range(args.rounds)]
    handler.close()
    out.unlink()
    parse, decode, handle = (min(r[i] for r in rounds) / n * 1e6 for i in range(3))
    try:
        from connectless import native  # a checkout from before it has none
    except ImportError:
        native_in_use = False
    else:  # (an editable install may find this checkout's module for another checkout's package: not in use there)
        native_in_use = native.records is not None and Path(native.__file__ or "").is_relative_to(args.shared.resolve())
    print(json.dumps({
        "shared": str(args.shared), "gc": args.gc, "native": native_in_use, "records": n, "rounds": args.rounds,
        "event_bytes_per_record": round(len(payload) / n, 1), "parse_us": round(parse, 3),
        "handler_us": round(handle, 3), "of_which_decode_us": round(decode, 3), "function_us": round(parse + handle, 3),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
