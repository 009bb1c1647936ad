"""Exceptions of the data model."""

from __future__ import annotations


class DataError(ValueError):
    """A value does not fit its schema, or a schema is malformed (Kafka Connect's DataException)."""


class SchemaBuilderError(DataError):
    """A schema under construction was given an impossible setting."""
