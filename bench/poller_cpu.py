"""The event-source-mapping emulator's poller CPU per record, as the Lambda-path sink runs it, without the function.

The side-by-side workload's records (bench/sidebyside/workload.py: ~300 B JSON values, keyed, one partition) are
produced once into a topic of the embedded Apache Kafka (or KAFKA_BOOTSTRAP_SERVERS); then each round is a fresh
process running EventSourceMappingEmulator with `submit` (the function in a process of its own, as on Lambda) over
the whole topic under a fresh consumer group. The function here takes the event's bytes and answers at once, so
what is measured is the poller's own work: consume, RawRecords, each record's event JSON, the event's join, commit.
Each round prints its process CPU (all threads: Python's and librdkafka's), the main thread's CPU (thread_time:
Python and the C it calls) and the wall time, per million records:

    python bench/poller_cpu.py [--records 300000] [--rounds 3]
    python bench/poller_cpu.py --compare /other/checkout/shared  # alternates rounds: this checkout's, the other's

--profile FILE runs round 0 (round -1 warms up) under py-spy (FILE-this.txt, FILE-compare.txt: collapsed stacks
with the native frames) when py-spy is on PATH. --consumer K=V tries a librdkafka setting on this checkout's rounds.
The machine is shared: compare checkouts with --compare (alternated, same broker).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def child(bootstrap: str, topic: str, records: int, batch_size: int, consumer_extra: dict[str, str]) -> None:
    """One round, in this process: the emulator over `topic` until `records` were delivered."""
    import connectless
    from connectless.kafka.settings import KafkaSettings
    from connectless.native import records as native_records
    from connectless.standalone.esm_emulator import EventSourceMappingEmulator, MappingConfig

    payload_bytes = 0

    def submit(payload: bytes, _context: object) -> Callable[[], None]:
        nonlocal payload_bytes
        payload_bytes += len(payload)
        return lambda: None

    class Settings(KafkaSettings):  # --consumer K=V: librdkafka settings to try on the poller's consumer
        def consumer_config(self, group_id: str, **overrides: object) -> dict[str, object]:
            return super().consumer_config(group_id, **overrides) | consumer_extra

    config = MappingConfig(f"poller-{uuid.uuid4().hex[:8]}", [topic], batch_size=batch_size)
    esm = EventSourceMappingEmulator(Settings(bootstrap), config, lambda *_: None, submit=submit)
    threads0 = thread_cpu()
    cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
    esm.start()
    try:
        esm.run(lambda: esm.stats.records_succeeded >= records)
    finally:
        esm.stop()
    wall, cpu, thread = time.perf_counter() - wall0, time.process_time() - cpu0, time.thread_time() - thread0
    delivered = esm.stats.records_succeeded
    threads = {name: round((cpu_s - threads0.get(name, 0.0)) / delivered * 1e6, 3)
               for name, cpu_s in thread_cpu().items()}  # fmt: skip
    print(json.dumps({
        "records": delivered,
        "batches": esm.stats.batches,
        "process_cpu_s_per_m": round(cpu / delivered * 1e6, 3),
        "main_thread_cpu_s_per_m": round(thread / delivered * 1e6, 3),
        "other_threads_cpu_s_per_m": round((cpu - thread) / delivered * 1e6, 3),
        "wall_s_per_m": round(wall / delivered * 1e6, 3),
        "mean_payload_bytes": payload_bytes // max(esm.stats.batches, 1),
        "library": connectless.__file__,
        "native": native_records.__file__ if native_records is not None else None,
        "threads_cpu_s_per_m": {k: v for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v >= 0.005},
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))  # fmt: skip


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each of this process's threads by name (librdkafka names its own: rdk:main, rdk:broker1...);
    threads of one name are added up."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the thread ended
            continue
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return out


def produce(bootstrap: str, topic: str, records: int) -> None:
    sys.path[0:0] = [str(BENCH), str(REPO / "shared")]
    from connectless.kafka.admin import TopicSpec, ensure_topic
    from connectless.kafka.settings import KafkaSettings
    from sidebyside.workload import produce_records

    settings = KafkaSettings(bootstrap)
    ensure_topic(settings, TopicSpec(topic, 1, config={"retention.ms": "-1"}))
    produce_records(settings, topic, records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--compare", type=Path, help="another checkout's shared/ folder: rounds alternate with it")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks of the first round, to FILE.txt")
    parser.add_argument("--consumer", action="append", default=[], metavar="K=V",
                        help="a librdkafka setting for this checkout's poller consumer")  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("BOOTSTRAP", "TOPIC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        extra = dict(item.split("=", 1) for item in args.consumer)
        child(args.child[0], args.child[1], args.records, args.batch_size, extra)
        return 0

    sys.path[0:0] = [str(REPO / "infra" / "local")]
    from connectless_local.embedded_kafka import EmbeddedKafka, bootstrap_from_env

    broker = None
    bootstrap = bootstrap_from_env()
    if bootstrap is None:
        broker = EmbeddedKafka(heap="1g").start()
        bootstrap = broker.bootstrap_servers
    try:
        topic = f"poller-cpu-{uuid.uuid4().hex[:8]}"
        produce(bootstrap, topic, args.records)
        trees = [("this", REPO / "shared")] + ([("compare", args.compare.resolve())] if args.compare else [])
        # round -1 warms up (the broker's group coordinator, the page cache): printed, left out of comparisons
        for round_ in range(-1, args.rounds):
            for name, shared in trees:
                command = [sys.executable, str(Path(__file__).resolve()), "--records", str(args.records),
                           "--batch-size", str(args.batch_size), "--child", bootstrap, topic]  # fmt: skip
                if name == "this":
                    command[2:2] = [f"--consumer={item}" for item in args.consumer]
                if args.profile and round_ == 0 and shutil.which("py-spy"):
                    out = args.profile.with_name(f"{args.profile.name}-{name}.txt")
                    command = ["py-spy", "record", "--native", "--threads", "--rate", "250", "--format", "raw",
                               "-o", str(out), "--", *command]  # fmt: skip
                env = {**os.environ, "PYTHONPATH": str(shared)}
                load = os.getloadavg()[0]
                result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
                if result.returncode != 0:
                    print(result.stderr, file=sys.stderr)
                    return 1
                line = json.loads([t for t in result.stdout.splitlines() if t.startswith("{")][-1])  # py-spy talks too
                print(json.dumps({"tree": name, "round": round_, "load1": round(load, 2), **line}), flush=True)
    finally:
        if broker is not None:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
