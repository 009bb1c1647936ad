"""`connectless top`: a live table of the connectors, their state and throughput, refreshed every few seconds.

Rates are the records of the last minute (the REST API's /connectless/connectors/{c}/throughput) per second;
a sink's lag is the sum over its partitions (/connectless/connectors/{c}/lag).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.table import Table

from connectless_cli.client import views
from connectless_cli.client.http import ConnectRestError, path_of

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from connectless_cli.client.http import ConnectClient

WINDOW_S = 60


def rates(points: list[dict[str, Any]], now: float, window_s: int = WINDOW_S) -> tuple[float, float, int]:
    """(in/s, out/s, dead-lettered) over the buckets that started within the last `window_s` seconds."""
    recent = [p for p in points if p["t"] > now - window_s]
    return (sum(p["in"] for p in recent) / window_s, sum(p["out"] for p in recent) / window_s,
            sum(p["dead_lettered"] for p in recent))  # fmt: skip


def _optional(client: ConnectClient, *segments: str) -> Any:
    try:
        return client.get(path_of(*segments))
    except ConnectRestError:
        return None  # an endpoint without the extension (Kafka Connect), or no Kafka behind it


def snapshot(client: ConnectClient, now: float | None = None) -> Table:
    now = time.time() if now is None else now
    expanded = client.get("/connectors", "expand=status&expand=info")
    if isinstance(expanded, list):
        expanded = {name: {"status": client.get(path_of("connectors", name, "status"))} for name in expanded}
    table = Table("NAME", "TYPE", "STATE", "TASKS", "IN/s", "OUT/s", "DLQ (1 min)", "LAG", box=None,
                  header_style="bold", title=f"connectless top · {client.url} · {time.strftime('%H:%M:%S')}",
                  title_justify="left")  # fmt: skip
    for name in sorted(expanded):
        status = (expanded[name] or {}).get("status") or {}
        kind = status.get("type") or ""
        rate = _optional(client, "connectless", "connectors", name, "throughput")
        rin, rout, dead = rates(rate["points"], now) if rate else (0.0, 0.0, 0)
        lag = _optional(client, "connectless", "connectors", name, "lag") if kind == "sink" else None
        table.add_row(name, kind, views.state((status.get("connector") or {}).get("state")),
                      views.tasks_summary(status.get("tasks") or []), f"{rin:.1f}" if rate else "-",
                      f"{rout:.1f}" if rate else "-", str(dead) if rate else "-",
                      str(lag["total_lag"]) if lag else "-")  # fmt: skip
    return table


def top(args: argparse.Namespace, client: ConnectClient, console: Console) -> int:
    if args.once:
        console.print(snapshot(client))
        return 0
    from rich.live import Live

    with Live(snapshot(client), console=console, auto_refresh=False, screen=False) as live:
        try:
            while True:
                time.sleep(args.interval)
                live.update(snapshot(client), refresh=True)
        except KeyboardInterrupt:
            return 0


def add_parser(sub: Any, common: argparse.ArgumentParser, run: Any) -> None:
    p = sub.add_parser("top", parents=[common], help="a live table of connectors and their throughput (Ctrl-C quits)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes (default 2)")
    p.add_argument("--once", action="store_true", help="print the table once and exit")
    p.set_defaults(func=run(top))
