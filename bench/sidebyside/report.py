"""From the measured runs to the cost model, the Markdown table and the chart."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from pathlib import Path

# Prices (us-east-1). The template deploys the functions on arm64 (Graviton), priced below x86.
LAMBDA_USD_PER_GB_S = 0.0000133334  # arm64, first pricing tier
LAMBDA_X86_USD_PER_GB_S = 0.0000166667
LAMBDA_USD_PER_REQUEST = 0.20 / 1e6
MSK_CONNECT_USD_PER_MCU_HOUR = 0.11  # 1 MCU = 1 vCPU + 4 GiB
# Provisioned mode (ProvisionedPollerConfig, set by the manager when MinimumPollers is configured): an event poller
# handles up to 5 MB/s or 5 concurrent invocations. Pollers are billed in Event Poller Units: one EPU carries up to
# 20 MB/s and a default of 10 pollers, at $0.185 per EPU-hour in us-east-1 (the Lambda pricing page, Kafka pricing
# example; the Lambda developer guide, "Cost optimization for provisioned mode").
POLLER_MB_PER_S = 5.0
POLLER_CONCURRENT_INVOCATIONS = 5
EPU_MB_PER_S = 20.0
POLLERS_PER_EPU = 10
USD_PER_EPU_HOUR = 0.185
ONE_VCPU_MB = 1769  # Lambda gives a function one full vCPU at 1,769 MB, proportionally less below
HOURS_PER_MONTH = 730
# Issue 17's targets
IMPORT_TARGET_MS = 300.0
SINK_LAMBDA_TARGET = 1.5
CPU_RATIO_TARGET = 0.4
SOURCE_FUNCTION_TARGET = 2.0
FIXED_COST_TARGET_MS = 50.0
SCALE_PARTITIONS = (10, 100, 1000)


def function_cpu(results: dict[str, Any]) -> dict[str, float] | None:
    """What Lambda bills per record on the Lambda path: the runtime's event parse plus the handler, measured in the
    sink's JSON run (the poller's work, done outside the function, is not in it), against Kafka Connect's process
    CPU per record in the same run."""
    sink = results.get("sink", {})
    run = sink.get("connectless-json")
    if not run or "parse_cpu_s" not in run["extra"]:
        return None
    extra = run["extra"]
    records = extra["records"]
    parse, handler = extra["parse_cpu_s"] / records * 1e6, extra["handler_cpu_s"] / records * 1e6
    kc = sink["kafka-connect"]["cpu_s_per_million"]  # µs per record, from launch (JVM start included)
    kc_steady = sink["kafka-connect"]["steady_cpu_s_per_million"]
    return {
        "parse_us": parse,
        "handler_us": handler,
        "function_us": parse + handler,
        "kafka_connect_us": kc,
        "kafka_connect_steady_us": kc_steady,
        "ratio_from_launch": (parse + handler) / kc,
        "ratio": (parse + handler) / kc_steady,  # judged on the steady part: JVM start-up not spread over records
        "parser": extra.get("event_parser", ""),
    }


def source_eos_ratios(source: dict[str, Any]) -> dict[str, Any] | None:
    """The exactly-once function run against both Kafka Connect runs: at-least-once (standalone, what the ratio
    was judged on before) and exactly-once (a distributed worker with exactly.once.source.support=enabled, like
    for like), each with whether it reaches SOURCE_FUNCTION_TARGET."""
    run, kc, kc_eos = (source.get(k) for k in ("connectless-function-eos", "kafka-connect", "kafka-connect-eos"))
    if not run or not kc or not kc_eos:
        return None
    to_kc = run["records_per_s"] / kc["records_per_s"]
    to_eos = run["records_per_s"] / kc_eos["records_per_s"]
    return {
        "to_kafka_connect": to_kc,
        "to_kafka_connect_eos": to_eos,
        "to_kafka_connect_eos_steady": run["steady_records_per_s"] / kc_eos["steady_records_per_s"],
        "met_against_kafka_connect": to_kc >= SOURCE_FUNCTION_TARGET,
        "met_against_kafka_connect_eos": to_eos >= SOURCE_FUNCTION_TARGET,
    }


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def source_eos_measured(eos: dict[str, Any], fixed: dict[str, Any]) -> str:
    """The targets table's text for the exactly-once function: both ratios, and each one's verdict apart."""
    return (
        f"{eos['to_kafka_connect_eos']:.2f} against Kafka Connect exactly-once (distributed worker; steady "
        f"{eos['to_kafka_connect_eos_steady']:.2f}), {eos['to_kafka_connect']:.2f} against Kafka Connect "
        f"at-least-once (standalone); met against Kafka Connect exactly-once: "
        f"{_yes_no(eos['met_against_kafka_connect_eos'])}; against Kafka Connect at-least-once: "
        f"{_yes_no(eos['met_against_kafka_connect'])} (the met column is judged on this one, as before) "
        f"({fixed['invocations']} invocations, "
        f"{fixed['warm_invocations']} on a warm task)"
    )


def fixed_invocation_s(batches: list[tuple[float, float]]) -> float:
    """The intercept of an invocation's seconds against its records (least squares over (records, seconds)), 0
    when the batches are all of one size or the fit goes below 0."""
    if len(batches) < 3:
        return 0.0
    xs, ys = [b[0] for b in batches], [b[1] for b in batches]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return 0.0
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
    return max(0.0, my - slope * mx)


def scale_model(results: dict[str, Any]) -> dict[str, Any] | None:
    """The sink at 10/100/1,000 partitions, from the per-batch times measured on the Lambda path.

    Each partition is its own ordered stream: the mapping runs at most one invocation per partition at a time, so
    a backlogged partition moves batch / (t0 + batch * t_record) records per second. The times are the function's
    CPU seconds (the runtime's parse + the handler), as a function at 1,769 MB has a vCPU of its own (this shared
    machine's wall times are not); t0 is the intercept of CPU seconds against records per invocation. Provisioned
    mode caps the pollers at the partition count, and each poller carries at most 5 MB/s of event payload, which
    can cap the throughput too. MSK Connect is sized in MCUs doing what Kafka Connect's JVM did per CPU second."""
    sink = results.get("sink", {})
    run = sink.get("connectless-json")
    if not run:
        return None
    extra = run["extra"]
    records, invocations = extra["records"], max(1, extra["invocations"])
    batch = records / invocations
    parse_per_record = extra.get("parse_cpu_s", 0.0) / records
    times = [(n, cpu + parse_per_record * n) for n, _wall, cpu in extra.get("batch_times", [])[1:]]  # first: cold
    t0 = fixed_invocation_s(times)
    cpu_total = extra["handler_cpu_s"] + extra.get("parse_cpu_s", 0.0)
    t_record = max(cpu_total - t0 * invocations, 1e-9) / records
    duration = t0 + batch * t_record
    per_partition = batch / duration
    event_bytes_per_record = extra["mean_payload_bytes"] / batch if extra.get("mean_payload_bytes") else 400.0
    kc = sink["kafka-connect"]
    per_mcu = 1e6 / kc["steady_cpu_s_per_million"]
    rows = []
    for partitions in SCALE_PARTITIONS:
        throughput = partitions * per_partition
        pollers = partitions  # provisioned mode: MaximumPollers is capped at the partition count
        poller_cap = pollers * POLLER_MB_PER_S * 1e6 / event_bytes_per_record
        throughput = min(throughput, poller_cap)
        mb_per_s = throughput * event_bytes_per_record / 1e6
        needed = max(math.ceil(mb_per_s / POLLER_MB_PER_S), math.ceil(partitions / POLLER_CONCURRENT_INVOCATIONS), 1)
        pollers = min(pollers, needed)
        epus = max(math.ceil(pollers / POLLERS_PER_EPU), math.ceil(mb_per_s / EPU_MB_PER_S), 1)
        concurrency = min(partitions, math.ceil(throughput / per_partition))
        gb_s_per_s = throughput * t_record * ONE_VCPU_MB / 1024 + throughput / batch * t0 * ONE_VCPU_MB / 1024
        compute = gb_s_per_s * LAMBDA_USD_PER_GB_S * 3600 * HOURS_PER_MONTH
        requests = throughput / batch * 3600 * HOURS_PER_MONTH * LAMBDA_USD_PER_REQUEST
        pollers_usd = epus * USD_PER_EPU_HOUR * HOURS_PER_MONTH
        mcus = max(1, math.ceil(throughput / per_mcu))
        rows.append(
            {
                "partitions": partitions,
                "records_per_s": throughput,
                "capped_by_pollers": throughput >= poller_cap,
                "concurrency": concurrency,
                "lambda_compute_usd_per_month": compute,
                "lambda_request_usd_per_month": requests,
                "lambda_on_demand_usd_per_month": compute + requests,
                "event_payload_mb_per_s": mb_per_s,
                "provisioned_pollers": pollers,
                "event_poller_units": epus,
                "pollers_usd_per_month": pollers_usd,
                "lambda_provisioned_usd_per_month": compute + requests + pollers_usd,
                "msk_connect_mcus": mcus,
                "msk_connect_usd_per_month": mcus * MSK_CONNECT_USD_PER_MCU_HOUR * HOURS_PER_MONTH,
            }
        )
    return {
        "batch_records": batch,
        "event_bytes_per_record": event_bytes_per_record,
        "invocation_fixed_s": t0,
        "seconds_per_record": t_record,
        "invocation_s": duration,
        "records_per_s_per_partition": per_partition,
        "kafka_connect_records_per_s_per_mcu": per_mcu,
        "assumptions": [
            "every partition backlogged, around the clock (the throughput is the ceiling)",
            "one invocation per partition at a time (Lambda keeps a partition's order), each at 1,769 MB (one "
            "vCPU, as the template), priced at arm64 rates; this x86 machine's CPU time per record is taken as "
            "Graviton's",
            "the function's time is its CPU time (runtime parse + handler), the sink's own I/O (a local file here) "
            "adds nothing; the measured batch size holds at any partition count and the broker keeps up",
            "on-demand mode: no poller charge; provisioned mode: pollers = max(payload MB/s / 5, partitions / 5), "
            "at most one per partition, each at most 5 MB/s; billed in event poller units, EPUs = max(pollers / "
            f"{POLLERS_PER_EPU}, payload MB/s / {EPU_MB_PER_S:.0f}) at ${USD_PER_EPU_HOUR} per EPU-hour (us-east-1; "
            "Lambda's pricing page and developer guide)",
            "MSK Connect: MCUs to carry the same records/s at Kafka Connect's measured records per CPU second "
            "(steady), always on",
        ],
        "rows": rows,
    }


def lambda_cost(cpu_s_per_record: float, memory_mb: int, batch_size: int) -> dict[str, float]:
    """Lambda cost per million records when the handler is CPU-bound: billed duration = CPU time scaled by the
    share of a vCPU the memory size buys (1 below 1,769 MB is memory/1769)."""
    duration_s = cpu_s_per_record * 1e6 * max(1.0, ONE_VCPU_MB / memory_mb)
    gb_s = memory_mb / 1024 * duration_s
    requests = math.ceil(1e6 / batch_size)
    compute, request = gb_s * LAMBDA_USD_PER_GB_S, requests * LAMBDA_USD_PER_REQUEST
    return {
        "memory_mb": memory_mb,
        "batch_size": batch_size,
        "duration_s_per_million": duration_s,
        "gb_s_per_million": gb_s,
        "requests_per_million": requests,
        "compute_usd": compute,
        "request_usd": request,
        "usd_per_million": compute + request,
    }


def msk_connect_cost(kc_run: dict[str, Any], throughput: float) -> dict[str, float]:
    """MSK Connect for a sustained `throughput` (records/s), one MCU (one vCPU) doing what one busy core of Kafka
    Connect did here: records per CPU-second of its JVM in the steady part of the run."""
    span = kc_run["wall_s"] - kc_run["first_record_s"]
    cores = (kc_run["cpu_s"] - kc_run["cpu_at_first_s"]) / span if span > 0 else float("nan")
    per_mcu = 1e6 / kc_run["steady_cpu_s_per_million"]
    mcus = max(1, math.ceil(throughput / per_mcu))
    hourly = mcus * MSK_CONNECT_USD_PER_MCU_HOUR
    return {
        "kafka_connect_cores_busy": cores,
        "records_per_s_per_mcu": per_mcu,
        "throughput_records_per_s": throughput,
        "mcus": mcus,
        "usd_per_hour": hourly,
        "usd_per_month_always_on": hourly * HOURS_PER_MONTH,
        "usd_per_million_at_that_throughput": hourly / (throughput * 3600 / 1e6),
        "usd_per_million_fully_used_mcu": MSK_CONNECT_USD_PER_MCU_HOUR / (per_mcu * 3600 / 1e6),
    }


def cost_model(results: dict[str, Any]) -> dict[str, Any]:
    sink = results["sink"]
    cl, kc = sink["connectless"], sink["kafka-connect"]
    # What Lambda bills is the handler on the event JSON (base64 to decode): the JSON run, when there is one.
    billed_run = sink.get("connectless-json", cl)
    extra = billed_run["extra"]
    batch_size = extra["batch_size"]
    records_per_invocation = extra["records"] / max(1, extra["invocations"])
    handler_cpu = extra["handler_cpu_s"] / extra["records"]
    # The runtime parses the event JSON inside the billed duration; measured on the ~6 MB event (warm run).
    parse = 0.0
    batch = results.get("cold_start", {}).get("big_batch")
    if batch:
        warm = batch["runs"][-1]
        parse = warm["parse_s"] / warm["records"]
    billed_cpu = handler_cpu + parse
    # the poller's process and, when the function ran in a process of its own, that one too
    process_cpu = (billed_run["cpu_s"] + extra.get("function_process_cpu_s", 0.0)) / billed_run["records"]
    throughput = cl["steady_records_per_s"]
    if "parse_cpu_s" in extra:  # measured in the run itself (the runtime's parser), not on the 6 MB event
        parse = extra["parse_cpu_s"] / extra["records"]
        billed_cpu = handler_cpu + parse
    lambda_rows = [lambda_cost(billed_cpu, mb, batch_size) for mb in (ONE_VCPU_MB, 512)]
    upper_rows = [lambda_cost(process_cpu, mb, batch_size) for mb in (ONE_VCPU_MB, 512)]
    msk = msk_connect_cost(kc, throughput)
    for row in lambda_rows:
        row["usd_per_hour_at_that_throughput"] = row["usd_per_million"] * throughput * 3600 / 1e6
    peak = max((r["peak_rss_bytes"] for r in batch["runs"]), default=0) if batch else 0
    return {
        "prices": {
            "lambda_arm64_usd_per_gb_s": LAMBDA_USD_PER_GB_S,
            "lambda_usd_per_million_requests": 0.20,
            "msk_connect_usd_per_mcu_hour": MSK_CONNECT_USD_PER_MCU_HOUR,
            "mcu": "1 vCPU + 4 GiB",
        },
        "assumptions": {
            "batch_size": batch_size,
            "measured_records_per_invocation": records_per_invocation,
            "lambda_cpu_s_per_record": billed_cpu,
            "of_which_handler_cpu_s_per_record": handler_cpu,
            "of_which_event_json_parse_s_per_record": parse,
            # False: the sink run handed the handler a DecodedKafkaEvent (in-process, as standalone mode does), so
            # the handler figure leaves out decoding the records' base64 that a Lambda invocation also pays.
            "handler_measured_on_json_event": extra.get("json_round_trip", True),
            "billed_duration": "CPU time (the handler is CPU-bound); below 1,769 MB scaled by 1769/memory",
            "msk_connect_throughput": "Connectless's steady sink records/s; one MCU (1 vCPU) does as many records/s "
            "as Kafka Connect's JVM did per CPU-second in the steady part of its run",
            "lambda_512mb_fits_6mb_batch": peak < 512 * 2**20 if peak else None,
        },
        "lambda": lambda_rows,
        "lambda_whole_process_cpu": upper_rows,
        "msk_connect": msk,
        "scale": scale_model(results),
    }


# --------------------------------------------------------------------------- Markdown


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}"


def _run_table(title: str, run: dict[str, Any]) -> list[str]:
    kc, cl = run["kafka-connect"], run["connectless"]
    rows = [
        ("records/s, launch to last record (target: ratio >= 1.0)", "records_per_s", 0, True),
        ("records/s, first to last record (steady)", "steady_records_per_s", 0, True),
        ("seconds to the first record, from launch", "first_record_s", 2, False),
        ("seconds to the last record, from launch", "wall_s", 2, False),
        ("CPU s per million records (process, from launch)", "cpu_s_per_million", 1, False),
        ("CPU s per million records (steady part)", "steady_cpu_s_per_million", 1, False),
        ("peak RSS, MiB", "peak_rss_mib", 0, False),
    ]
    lines = [
        f"### {title}",
        "",
        "| | Apache Kafka Connect 4.1.1 | Connectless | Connectless ÷ Kafka Connect |",
        "|---|---:|---:|---:|",
    ]
    for label, key, digits, _higher in rows:
        lines.append(f"| {label} | {_fmt(kc[key], digits)} | {_fmt(cl[key], digits)} | {_ratio(cl[key], kc[key])} |")
    for key, label in (
        ("lines_after_stop", "lines in the output file after stop (no loss, no duplicate)"),
        ("records_in_topic", "records in the topic after stop (no loss, no duplicate)"),
    ):
        if key in kc["extra"] and key in cl["extra"]:
            lines.append(f"| {label} | {_fmt(kc['extra'][key])} | {_fmt(cl['extra'][key])} | - |")
    if "offsets_committed_s" in kc["extra"]:
        a, b = kc["extra"]["offsets_committed_s"], cl["extra"]["offsets_committed_s"]
        lines.append(
            f"| seconds to the final source offset committed, from launch | {_fmt(a, 2)} | {_fmt(b, 2)} "
            f"| {_ratio(b, a)} |"
        )
    return [*lines, ""]


def _kafka_connect_eos_table(source: dict[str, Any]) -> list[str]:
    """Kafka Connect's two source runs side by side: at-least-once (standalone) and exactly-once (distributed)."""
    kc, eos = source["kafka-connect"], source.get("kafka-connect-eos")
    if not eos:
        return []
    e = eos["extra"]
    committed = e.get("committed_read", {})
    runs = committed.get("runs", {})
    evidence = e.get("transactional_producer", {})
    rows = [
        ("records/s, launch to last record", "records_per_s", 0),
        ("records/s, first to last record (steady)", "steady_records_per_s", 0),
        ("seconds to the first record, from launch", "first_record_s", 2),
        ("seconds to the last record, from launch", "wall_s", 2),
        ("CPU s per million records (process, from launch)", "cpu_s_per_million", 1),
        ("CPU s per million records (steady part)", "steady_cpu_s_per_million", 1),
        ("peak RSS, MiB", "peak_rss_mib", 0),
    ]
    lines = [
        "#### 2b. Kafka Connect's own exactly-once source (the like-for-like reference for the exactly-once function)",
        "",
        "| | Kafka Connect at-least-once (standalone) | Kafka Connect exactly-once (distributed) | exactly-once "
        "÷ at-least-once |",
        "|---|---:|---:|---:|",
    ]
    for label, key, digits in rows:
        lines.append(f"| {label} | {_fmt(kc[key], digits)} | {_fmt(eos[key], digits)} | {_ratio(eos[key], kc[key])} |")
    lines += [
        f"| records in the topic after stop (exactly-once: read_committed) | "
        f"{_fmt(kc['extra'].get('records_in_topic'))} | {_fmt(e.get('records_in_topic'))} | - |",
        f"| seconds to the final source offset committed, from launch | "
        f"{_fmt(kc['extra'].get('offsets_committed_s'), 2)} | {_fmt(e.get('offsets_committed_s'), 2)} | - |",
        "",
        "Exactly-once: one `connect-distributed` worker (same jars, JVM flags and converters) with "
        "`exactly.once.source.support=enabled`, its config/offset/status topics created beforehand (replication "
        "factor 1), the same FileStreamSource config plus `exactly.once.support=required` (transaction.boundary left "
        f"at its default: the worker logged `{evidence.get('transaction_boundary')}`) POSTed to its REST API "
        f"{_fmt(e.get('connector_submitted_s'), 2)} s after the launch. "
        "Its records are counted under read_committed (only committed ones; the markers take offsets of their own): "
        f"{_fmt(committed.get('records'))} records, {_fmt(committed.get('values_not_matching_the_file'))} differing "
        f"from the file's line at their place, end offset {_fmt(committed.get('end_offset'))}, so "
        f"{_fmt(committed.get('offsets_not_records'))} offsets held by transaction markers; between markers "
        f"{_fmt(runs.get('runs'))} runs of {_fmt(runs.get('records_per_run_median'))} records (median: one "
        f"transaction each, one producer), {_fmt(runs.get('ms_within_a_run_median'))} ms sending one and "
        f"{_fmt(runs.get('ms_between_runs_median'))} ms from one's last record to the next one's first (median, "
        f"producer timestamps: the commit and the next begin). Transactional producer "
        f"`{evidence.get('transactional_id', '-')}` in "
        f"the worker's log: {_yes_no(bool(evidence.get('producer_configured_with_it')))}; final source offset "
        f"`{orjson.dumps(e.get('final_offset')).decode()}` read from the worker's offsets topic (read_committed).",
        "",
    ]
    return lines


def _transactions_line(source: dict[str, Any]) -> list[str]:
    """How both exactly-once runs cut their records into transactions (read back under read_committed)."""
    parts = []
    for key, label in (("connectless-function-eos", "Connectless's function"), ("kafka-connect-eos", "Kafka Connect")):
        committed = source.get(key, {}).get("extra", {}).get("committed_read")
        if committed and "runs" in committed:
            runs = committed["runs"]
            parts.append(
                f"{label} {_fmt(committed['offsets_not_records'])} transaction markers; "
                f"{_fmt(runs['runs'])} runs of consecutive records of {_fmt(runs['records_per_run_median'])} (median), "
                f"{_fmt(runs['ms_between_runs_median'])} ms from one's last record to the next one's first (median; "
                f"{_fmt(runs['ms_between_runs_total'] / 1000, 1)} s in all)"
            )
    if not parts:
        return []
    return [
        "Exactly-once, read back under read_committed: " + "; ".join(parts) + ". (A run is a transaction for "
        "one producer; Connectless's two producers taking turns can put a transaction's records before the previous "
        "commit's marker.)",
        "",
    ]


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    out = [
        f"# Connectless vs Apache Kafka Connect — {meta['date']}",
        "",
        f"`{meta['command']}` on {meta['machine']}: {meta['cpus']} cores, Python {meta['python']}"
        + (f" (connectless.native {meta['native']})" if "native" in meta else "")
        + ", "
        f"{meta['java']}, Apache Kafka {meta['kafka_version']} (one KRaft node on 127.0.0.1), "
        f"commit {meta['git_commit']}. {meta['records']:,} records per run; runs one after the other. "
        "Load averages before each run are in the JSON (the machine is shared).",
        "",
    ]
    out += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for target in results["targets"]:
        met = "reported" if target["met"] is None else ("yes" if target["met"] else "NO")
        out.append(f"| {target['target']} | {target['measured']} | {met} |")
    out.append("")
    if "sink" in results:
        table = _run_table("1. Sink: topic -> InsertField, ReplaceField, TimestampConverter -> file", results["sink"])
        cl = results["sink"]["connectless"]["extra"]
        inside = cl["records"] / cl["handler_wall_s"] if cl.get("handler_wall_s") else None
        table.insert(-1, f"| records/s inside the function (Connectless: records / handler seconds; Lambda's poller "
                         f"fetches outside it) | - | {_fmt(inside)} | - |")  # fmt: skip
        out += table
        out += [
            f"Kafka Connect: `connect-standalone` (ConnectStandalone, its script's JVM flags), FileStreamSink. "
            f"Connectless: the event-source-mapping emulator invoking `functions/sink_task/app.py` "
            f"(BatchSize {cl['batch_size']}, window {cl['batching_window_s']} s, {cl['invocations']} invocations, "
            f"mean event {cl['mean_payload_bytes'] / 2**20:.2f} MiB); handler CPU "
            f"{cl['handler_cpu_s']:.2f} s of the process's {results['sink']['connectless']['cpu_s']:.2f} s. "
            "Both read the same topic (1 partition) with JsonConverter schemas.enable=false.",
            "",
        ]
        as_json = results["sink"].get("connectless-json")
        if as_json:
            j, sink = as_json["extra"], results["sink"]
            out += [
                "The Connectless column is standalone mode's path: the emulator hands the handler the event "
                "in-process, its records already decoded. As Lambda runs it (the poller's event JSON, parsed, then "
                "each record's base64 decoded by the function), the same run gives "
                f"{as_json['records_per_s']:,.0f} records/s launch to last "
                f"({sink['ratio_json_records_per_s']:.2f} of Kafka Connect's), "
                f"{as_json['steady_records_per_s']:,.0f} steady ({sink['ratio_json_steady_records_per_s']:.2f}), "
                + (
                    # the poller in this process, the function in its own (as on Lambda)
                    f"the poller's process {j['poller_process_cpu_s']:.2f} CPU s, the function's "
                    f"{j['function_process_cpu_s']:.2f} (runtime parse {j['parse_cpu_s']:.2f} + handler "
                    f"{j['handler_cpu_s']:.2f}), peak RSS {as_json['peak_rss_mib']:.0f} MiB (poller) and "
                    f"{j['function_process_peak_rss_bytes'] / 2**20:.0f} MiB (function), "
                    if j.get("function_process")
                    else f"{as_json['cpu_s_per_million']:.1f} CPU s per million records, handler CPU "
                    f"{j['handler_cpu_s']:.2f} s of the process's {as_json['cpu_s']:.2f} s, peak RSS "
                    f"{as_json['peak_rss_mib']:.0f} MiB, "
                )
                + f"{j.get('lines_after_stop', 0):,} lines written.",
                "",
            ]
            one = sink.get("connectless-json-one-process")
            if one:
                out += [
                    "With the poller and the function in one process (one GIL, as measured before 2026-12-06): "
                    f"{one['records_per_s']:,.0f} records/s launch to last "
                    f"({sink['ratio_json_one_process_records_per_s']:.2f} of Kafka Connect's), "
                    f"{one['steady_records_per_s']:,.0f} steady, {one['cpu_s_per_million']:.1f} CPU s per million "
                    f"records (runtime parse {one['extra'].get('parse_cpu_s', 0):.2f} s + handler "
                    f"{one['extra']['handler_cpu_s']:.2f} s of it).",
                    "",
                ]
    avro = results.get("avro")
    if avro:  # issue 15: sidebyside/avro_sink.py
        j, a = avro["connectless-json"], avro["connectless-avro"]
        out += [
            "### 1b. Sink with Avro values (io.confluent.connect.avro.AvroConverter)",
            "",
            "The same records and chain, values written by confluent-kafka's AvroSerializer and read by "
            f"AvroConverter against the {avro['registry']} registry (keys stay JSON): "
            f"{a['records_per_s']:,.0f} records/s against {j['records_per_s']:,.0f} with JSON values; "
            f"{a['cpu_s_per_million']:.1f} against {j['cpu_s_per_million']:.1f} CPU s per million records, "
            f"**per-record ratio Avro / JSON {avro['ratio_cpu_per_record']:.2f}** "
            f"(steady {avro['ratio_steady_cpu_per_record']:.2f}; target <= 1.0). Avro values become Structs, so "
            "the chain runs its schema'd path where JSON's schemaless maps take the in-place fast path.",
            "",
        ]
    if "source" in results:
        out += _run_table("2. Source: file -> topic, offsets committed", results["source"])
        out += [
            "Kafka Connect: FileStreamSource, offsets in offset.storage.file.filename, flushed every 1 s. "
            "Connectless: SourceTaskRunner over FileStreamSourceTask, offsets in an offsets topic every 1 s. "
            "Both: JsonConverter schemas.enable=false, batch.size 2000, no transforms (the lines are strings; "
            "the chain needs structured values).",
            "",
        ]
        out += _kafka_connect_eos_table(results["source"])
    cold = results.get("cold_start")
    if cold:
        out += [
            "### 3. Cold start",
            "",
            f"| handler | import ms (median) | min | max | process ms (median) | import CPU ms (median, max) | CPU <= "
            f"{IMPORT_TARGET_MS:.0f} ms |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for name, row in cold.get("imports", {}).items():
            if "error" in row:
                out.append(f"| {name} | import failed: {row['error']} | | | | NO |")
                continue
            ok = "yes" if row["import_cpu_ms_median"] <= IMPORT_TARGET_MS else "NO"
            out.append(
                f"| functions/{name}/app.py | {row['import_ms_median']:.0f} | {row['import_ms_min']:.0f} "
                f"| {row['import_ms_max']:.0f} | {row['process_wall_ms_median']:.0f} | "
                f"{row['import_cpu_ms_median']:.0f} ({row['import_cpu_ms_max']:.0f}) | {ok} |"
            )
        out.append("")
        for name, row in cold.get("imports", {}).items():
            if "heaviest_imports_ms" in row:
                heavy = ", ".join(f"{h['module']} {h['cumulative_ms']:.0f}" for h in row["heaviest_imports_ms"][:6])
                out.append(f"Heaviest imports of {name} (cumulative ms): {heavy}.")
        first = cold.get("first_record")
        if first:
            kc, cl = first["kafka-connect"], first["connectless"]
            e = cl["extra"]
            out += [
                "",
                "| cold process -> first record in the output file | seconds |",
                "|---|---:|",
                f"| Apache Kafka Connect (JVM start, worker, connector, consumer group, put) | "
                f"{kc['first_record_s']:.2f} |",
                f"| Connectless (interpreter, handler import, mapping's consumer group, first invocation) | "
                f"{cl['first_record_s']:.2f} |",
                f"| of which: handler imported at | {e.get('imported_s', float('nan')):.2f} |",
                f"| of which: first invocation (cold: config topic, task start) | "
                f"{e.get('first_invoke_start_s', float('nan')):.2f} -> "
                f"{e.get('first_invoke_end_s', float('nan')):.2f} |",
            ]
        batch = cold.get("big_batch")
        if batch:
            out += [
                "",
                f"One {batch['payload_bytes'] / 2**20:.2f} MiB event ({batch['records']:,} records) through "
                "functions/sink_task (JSON parse + handler), RSS after the handler's import "
                f"{batch['after_import_rss_bytes'] / 2**20:.0f} MiB:",
                "",
                "| invocation | peak RSS MiB | RSS before MiB | parse s | handler + parse s |",
                "|---|---:|---:|---:|---:|",
            ]
            for run in batch["runs"]:
                out.append(
                    f"| {run['invocation']} | {run['peak_rss_bytes'] / 2**20:.0f} | "
                    f"{run['rss_before_bytes'] / 2**20:.0f} | {run['parse_s']:.3f} | {run['wall_s']:.3f} |"
                )
        out.append("")
    cost = results.get("cost")
    if cost:
        a = cost["assumptions"]
        msk = cost["msk_connect"]
        out += [
            "### 4. Cost per million records (sink)",
            "",
            f"Prices: Lambda arm64 ${LAMBDA_USD_PER_GB_S:.10f} per GB-s and $0.20 per million requests; MSK Connect "
            f"${MSK_CONNECT_USD_PER_MCU_HOUR} per MCU-hour (1 MCU = 1 vCPU + 4 GiB). BatchSize {a['batch_size']} "
            f"({a['measured_records_per_invocation']:,.0f} records per invocation measured). Lambda CPU per record "
            f"{a['lambda_cpu_s_per_record'] * 1e6:.1f} µs = handler {a['of_which_handler_cpu_s_per_record'] * 1e6:.1f}"
            f" + event JSON parse {a['of_which_event_json_parse_s_per_record'] * 1e6:.1f}; billed duration = "
            "that CPU time, times 1769/memory below 1,769 MB."
            + (
                ""
                if a.get("handler_measured_on_json_event", True)
                else " The handler was measured on the in-process event (records already decoded, no JSON round "
                "trip): a Lambda invocation also decodes each record's base64, not counted here."
            ),
            "",
            "| | $ per million records | detail |",
            "|---|---:|---|",
        ]
        for row, upper in zip(cost["lambda"], cost["lambda_whole_process_cpu"], strict=True):
            out.append(
                f"| Lambda {row['memory_mb']} MB | {row['usd_per_million']:.5f} | "
                f"{row['duration_s_per_million'] / row['requests_per_million']:.2f} s per batch, "
                f"{row['gb_s_per_million']:.1f} GB-s + {row['requests_per_million']} requests; with the "
                f"emulator's CPU counted too: {upper['usd_per_million']:.5f} |"
            )
        out.append(
            f"| MSK Connect, {msk['mcus']} MCU at {msk['throughput_records_per_s']:,.0f} records/s | "
            f"{msk['usd_per_million_at_that_throughput']:.5f} | one MCU does "
            f"{msk['records_per_s_per_mcu']:,.0f} records/s (Kafka Connect's records per CPU-second here, "
            f"{msk['kafka_connect_cores_busy']:.2f} cores busy); fully used: "
            f"{msk['usd_per_million_fully_used_mcu']:.5f}; always on: ${msk['usd_per_month_always_on']:.2f}"
            " per month |"
        )
        fits = a["lambda_512mb_fits_6mb_batch"]
        out += [
            "",
            f"Throughput assumption: {a['msk_connect_throughput']}. 512 MB holds the 6 MB batch's peak RSS: "
            f"{'yes' if fits else 'no' if fits is not None else 'not measured'}.",
            "",
        ]
    scale = (cost or {}).get("scale")
    if scale:
        out += [
            "### 5. Scale model: the sink on Lambda against MSK Connect, per month",
            "",
            f"From the Lambda-path run: {scale['batch_records']:,.0f} records per invocation, "
            f"{scale['invocation_s'] * 1000:.0f} ms of function CPU per invocation (fixed "
            f"{scale['invocation_fixed_s'] * 1000:.1f} ms + {scale['seconds_per_record'] * 1e6:.2f} µs per record), so "
            f"{scale['records_per_s_per_partition']:,.0f} records/s per backlogged partition; "
            f"{scale['event_bytes_per_record']:.0f} B of event payload per record, so one poller's 5 MB/s carries "
            f"{POLLER_MB_PER_S * 1e6 / scale['event_bytes_per_record']:,.0f} records/s: with at most one poller per "
            "partition, that caps a partition before the function does. Mean concurrency: partitions x the share of "
            "time each partition's function is busy.",
            "",
            "| partitions | records/s | mean concurrency | Lambda compute $ | requests $ | on-demand total $ | "
            "provisioned pollers (payload MB/s) | EPUs | EPU $ | provisioned total $ | MSK Connect MCUs | "
            "MSK Connect $ |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in scale["rows"]:
            capped = " (poller-capped)" if r["capped_by_pollers"] else ""
            out.append(
                f"| {r['partitions']:,} | {r['records_per_s']:,.0f}{capped} | {r['concurrency']:,} | "
                f"{r['lambda_compute_usd_per_month']:,.0f} | {r['lambda_request_usd_per_month']:,.0f} | "
                f"{r['lambda_on_demand_usd_per_month']:,.0f} | "
                f"{r['provisioned_pollers']:,} ({r['event_payload_mb_per_s']:,.0f}) | "
                f"{r.get('event_poller_units', '-')} | {r['pollers_usd_per_month']:,.0f} | "
                f"{r['lambda_provisioned_usd_per_month']:,.0f} | "
                f"{r['msk_connect_mcus']:,} | {r['msk_connect_usd_per_month']:,.0f} |"
            )
        out += ["", "Assumptions: " + "; ".join(scale["assumptions"]) + ".", ""]
    source = results.get("source", {})
    fn_runs = [(k, source[k]) for k in ("connectless-function", "connectless-function-eos") if k in source]
    if fn_runs:
        out += [
            "### 6. Source through the scheduled function (functions/source_task, fired back to back)",
            "",
            "| run | records/s | ÷ Kafka Connect at-least-once | ÷ Kafka Connect exactly-once | invocations (warm) "
            "| fixed cost, warm task ms | fixed cost, task started afresh ms | CPU s per million |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        kc_eos = source.get("kafka-connect-eos")
        for key, run in fn_runs:
            f = run["fixed_cost"]
            like = _ratio(run["records_per_s"], kc_eos["records_per_s"]) if kc_eos and key.endswith("eos") else "-"
            out.append(
                f"| {'exactly-once' if key.endswith('eos') else 'at-least-once'} | {run['records_per_s']:,.0f} | "
                f"{run['records_per_s'] / source['kafka-connect']['records_per_s']:.2f} | {like} | {f['invocations']} "
                f"({f['warm_invocations']}) | {f.get('warm_ms_median', float('nan')):.1f} | "
                f"{f.get('cold_task_ms_median', float('nan')):.1f} | {run['cpu_s_per_million']:.1f} |"
            )
        out += [
            "",
            "Each invocation polls at most 100,000 records then commits and returns; the fixed cost is the duration "
            "of an invocation with nothing left to poll (median of 5), on the task kept warm and with "
            "CONNECTLESS_SOURCE_KEEP_WARM off (fence, offsets read, task start every time). "
            "÷ Kafka Connect at-least-once: against its standalone run (no transactions); ÷ Kafka Connect "
            "exactly-once: the exactly-once run against Kafka Connect's own exactly-once run (2b), like for like.",
            "",
        ]
        out += _transactions_line(source)
    pipeline = results.get("pipeline")
    if pipeline:
        out += [
            "### 7. Pipeline benchmark (converters + 3 SMTs + encode, one thread, gc on, new records)",
            "",
            "| mode | records | B per record | records/s per core (CPU) | target |",
            "|---|---:|---:|---:|---:|",
        ]
        for mode, row in pipeline.items():
            out.append(
                f"| {mode} | {row['records']:,} | {row['input_bytes']:.0f} | {row['records_per_cpu_s']:,.0f} | "
                f"{row['target']:,} |"
            )
        out.append("")
    if "profile" in results:
        out += [f"Where Connectless's time goes: cProfile of its sink and source on {results['profile']['records']:,} "
                f"records in `{results['profile']['file']}`.", ""]  # fmt: skip
    for note in results.get("notes", []):
        out.append(f"- {note}")
    for phase, error in results.get("errors", {}).items():
        out.append(f"- The {phase} phase FAILED: {error.strip().splitlines()[-1]} (traceback in the JSON)")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- chart


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"kafka-connect": "#7f7f7f", "connectless": "#1f77b4"}
    labels = {"kafka-connect": "Kafka Connect 4.1.1", "connectless": "Connectless"}
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    fig.suptitle(
        f"Connectless vs Apache Kafka Connect — {results['meta']['records']:,} records, {results['meta']['date']}"
    )
    panels = [
        ("records/s (launch to last record)", "records_per_s", 1.0),
        ("CPU s per million records", "cpu_s_per_million", 1.0),
        ("peak RSS, MiB", "peak_rss_mib", 1.0),
    ]
    # (label, phase, Connectless's run, Kafka Connect's run of the same phase next to it)
    paths = [
        ("sink\nstandalone", "sink", "connectless", "kafka-connect"),
        ("sink\nLambda path", "sink", "connectless-json", "kafka-connect"),
        ("source\nrunner", "source", "connectless", "kafka-connect"),
        ("source\nfunction", "source", "connectless-function", "kafka-connect"),
        # exactly-once against Kafka Connect's own exactly-once (distributed) run
        ("source fn EOS\n(KC: its EOS)", "source", "connectless-function-eos", "kafka-connect-eos"),
    ]
    paths = [p for p in paths if p[2] in results.get(p[1], {}) and p[3] in results.get(p[1], {})]
    for ax, (title, key, scale) in zip(axes[0], panels, strict=True):
        width = 0.38
        for i, runtime in enumerate(("kafka-connect", "connectless")):
            values = [results[phase][kc if i == 0 else run][key] * scale for _, phase, run, kc in paths]
            xs = [x + (i - 0.5) * width for x in range(len(paths))]
            bars = ax.bar(xs, values, width, label=labels[runtime], color=colours[runtime])
            ax.bar_label(bars, fmt="{:,.0f}", fontsize=7)
        ax.set_xticks(range(len(paths)), [label for label, *_ in paths], fontsize=8)
        ax.set_title(title)
        ax.legend(fontsize=8)
    cold = results.get("cold_start", {})
    ax = axes[1][0]
    imports = {k: v for k, v in cold.get("imports", {}).items() if "import_cpu_ms_median" in v}
    if imports:
        xs = range(len(imports))
        for offset, key, label, colour in (
            (-0.2, "import_cpu_ms_median", "CPU (the target)", colours["connectless"]),
            (0.2, "import_ms_median", "wall, this shared machine", "#9ecae1"),
        ):
            bars = ax.bar([x + offset for x in xs], [v[key] for v in imports.values()], 0.4, label=label, color=colour)
            ax.bar_label(bars, fmt="{:,.0f}", fontsize=7)
        ax.set_xticks(list(xs), list(imports), fontsize=8)
        ax.axhline(IMPORT_TARGET_MS, color="red", linestyle="--", label=f"target {IMPORT_TARGET_MS:.0f} ms")
        ax.legend(fontsize=7)
    ax.set_title("handler import, Lambda env, tracing on (ms)")
    ax = axes[1][1]
    first = cold.get("first_record")
    if first:
        values = [first[r]["first_record_s"] for r in ("kafka-connect", "connectless")]
        bars = ax.bar(
            [labels[r] for r in ("kafka-connect", "connectless")],
            values,
            color=[colours["kafka-connect"], colours["connectless"]],
        )
        ax.bar_label(bars, fmt="{:.2f}", fontsize=8)
    ax.set_title("cold process -> first record, s")
    ax = axes[1][2]
    cost = results.get("cost")
    if cost:
        names = [f"Lambda {r['memory_mb']} MB" for r in cost["lambda"]] + [
            f"MSK Connect {cost['msk_connect']['mcus']} MCU"
        ]
        values = [r["usd_per_million"] for r in cost["lambda"]] + [
            cost["msk_connect"]["usd_per_million_at_that_throughput"]
        ]
        bars = ax.bar(names, values, color=[colours["connectless"]] * len(cost["lambda"]) + [colours["kafka-connect"]])
        ax.bar_label(bars, fmt="${:.4f}", fontsize=8)
        ax.set_title(f"sink $ per million records at {cost['msk_connect']['throughput_records_per_s']:,.0f} rec/s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
