"""Rich tables for the client commands: what `kcctl get` and `kcctl describe` show."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

STATE_STYLES = {"RUNNING": "green", "PAUSED": "yellow", "STOPPED": "yellow", "FAILED": "bold red",
                "UNASSIGNED": "dim", "RESTARTING": "cyan"}  # fmt: skip


def state(value: str | None) -> Text:
    value = value or "UNKNOWN"
    return Text(value, style=STATE_STYLES.get(value, ""))


def tasks_summary(tasks: list[dict[str, Any]]) -> Text:
    if not tasks:
        return Text("0", style="dim")
    counts = Counter(str(t.get("state")) for t in tasks)
    text = Text()
    for i, (name, count) in enumerate(sorted(counts.items())):
        text.append(", " if i else "")
        text.append(f"{count} {name}", style=STATE_STYLES.get(name, ""))
    return text


def connectors_table(expanded: dict[str, Any]) -> Table:
    """`GET /connectors?expand=status&expand=info`: one row per connector."""
    table = Table("NAME", "TYPE", "STATE", "TASKS", "CLASS", box=None, header_style="bold")
    for name in sorted(expanded):
        entry = expanded[name] or {}
        status, info = entry.get("status") or {}, entry.get("info") or {}
        connector_class = (info.get("config") or {}).get("connector.class", "")
        kind = status.get("type") or info.get("type") or ""
        table.add_row(name, kind, state((status.get("connector") or {}).get("state")),
                      tasks_summary(status.get("tasks") or []), connector_class)  # fmt: skip
    return table


def _first_line(trace: str | None) -> str:
    return (trace or "").strip().splitlines()[0] if trace and trace.strip() else ""


def describe(info: dict[str, Any], status: dict[str, Any], topics: list[str] | None) -> Group:
    """`kcctl describe connector`: summary, tasks, config, topics."""
    connector = status.get("connector") or {}
    summary = Table(box=None, show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("Name:", str(info.get("name", status.get("name", ""))))
    summary.add_row("Type:", str(info.get("type") or status.get("type") or ""))
    summary.add_row("State:", state(connector.get("state")))
    summary.add_row("Worker ID:", str(connector.get("worker_id", "")))
    if connector.get("trace"):
        summary.add_row("Trace:", _first_line(connector.get("trace")))
    if topics is not None:
        summary.add_row("Topics:", ", ".join(topics) or "-")

    tasks = Table("TASK", "STATE", "WORKER ID", "TRACE", box=None, header_style="bold", title="Tasks",
                  title_justify="left", title_style="bold")  # fmt: skip
    for task in sorted(status.get("tasks") or [], key=lambda t: int(t.get("id", 0))):
        tasks.add_row(str(task.get("id")), state(task.get("state")), str(task.get("worker_id", "")),
                      _first_line(task.get("trace")))  # fmt: skip

    config = Table("KEY", "VALUE", box=None, header_style="bold", title="Config", title_justify="left",
                   title_style="bold")  # fmt: skip
    for key, value in sorted((info.get("config") or {}).items()):
        config.add_row(key, str(value))
    return Group(summary, Text(), tasks, Text(), config)


def offsets_table(body: dict[str, Any]) -> Table:
    """`GET /connectors/{c}/offsets`: sink offsets as topic/partition/offset, source offsets as their maps."""
    offsets = body.get("offsets") or []
    sink = bool(offsets) and all("kafka_topic" in (o.get("partition") or {}) for o in offsets)
    if sink:
        table = Table("TOPIC", "PARTITION", "OFFSET", box=None, header_style="bold")
        rows = sorted(offsets, key=lambda o: (o["partition"]["kafka_topic"], o["partition"].get("kafka_partition", 0)))
        for o in rows:
            p = o["partition"]
            table.add_row(
                p["kafka_topic"], str(p.get("kafka_partition")), str((o.get("offset") or {}).get("kafka_offset"))
            )
        return table
    table = Table("PARTITION", "OFFSET", box=None, header_style="bold")
    for o in offsets:
        table.add_row(_compact(o.get("partition")), _compact(o.get("offset")))
    return table


def plugins_table(plugins: list[dict[str, Any]]) -> Table:
    table = Table("CLASS", "TYPE", "VERSION", box=None, header_style="bold")
    for plugin in sorted(plugins, key=lambda p: (str(p.get("type")), str(p.get("class")))):
        table.add_row(str(plugin.get("class")), str(plugin.get("type", "")), str(plugin.get("version", "")))
    return table


def validation_table(result: dict[str, Any]) -> Table:
    """The keys with errors of a `PUT /connector-plugins/{p}/config/validate` answer."""
    table = Table("KEY", "ERRORS", box=None, header_style="bold")
    for item in result.get("configs") or []:
        value = item.get("value") or {}
        if value.get("errors"):
            table.add_row(str(value.get("name")), "; ".join(map(str, value["errors"])))
    return table


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
