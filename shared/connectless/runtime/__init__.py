"""Runtimes: the loops that run tasks (standalone worker, Lambda handlers) over one shared task runner each."""
