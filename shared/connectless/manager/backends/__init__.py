"""Apply backends: AWS (Scheduler, Lambda aliases and event-source mappings) and memory; standalone's own is
connectless.standalone.backend."""

from connectless.manager.backends.base import Backend, MemoryBackend, Op, TaskUnit

__all__ = ["Backend", "MemoryBackend", "Op", "TaskUnit"]
