"""Apply backends: AWS (Scheduler, Lambda aliases and event-source mappings), local threads, memory."""

from connectless.manager.backends.base import Backend, MemoryBackend, Op, TaskUnit

__all__ = ["Backend", "MemoryBackend", "Op", "TaskUnit"]
