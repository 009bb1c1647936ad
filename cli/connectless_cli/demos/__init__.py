"""Runnable demos: `make demo` (the local stack), `make demo-standalone`, `make demo-mysql`."""
