"""CPU seconds and memory of a process from /proc (Linux), with no dependency."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcSample:
    cpu_s: float  # user + system of every thread of the process (not of its children)
    rss_bytes: int
    peak_rss_bytes: int  # VmHWM: the kernel's high-water mark of the resident set


def sample(pid: int | str = "self") -> ProcSample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime (fields 14 and 15 of proc(5))
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            status[name] = int(value.split()[0]) * 1024
    return ProcSample(cpu, status.get("VmRSS", 0), status.get("VmHWM", 0))


def reset_peak_rss() -> bool:
    """Start a new VmHWM measurement for this process (Linux 4.0+: `echo 5 > /proc/self/clear_refs`)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def loadavg() -> list[float]:
    """The machine's 1/5/15-minute load: the benchmark shares two cores with whatever else runs."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
