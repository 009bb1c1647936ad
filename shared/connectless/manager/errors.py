"""Errors of the connector manager; the REST API maps each to Kafka Connect's status code."""

from __future__ import annotations


class ManagerError(Exception):
    """Base class. `status` is the HTTP status the REST API answers with."""

    status = 500


class ConnectorNotFoundError(ManagerError):
    status = 404

    def __init__(self, connector: str) -> None:
        super().__init__(f"Connector {connector} not found")
        self.connector = connector


class ChangeInFlightError(ManagerError):
    """Another change of the same connector is running (Kafka Connect's 'rebalance in progress')."""

    status = 409


class ConnectorExistsError(ManagerError):
    status = 409

    def __init__(self, connector: str) -> None:
        super().__init__(f"Connector {connector} already exists")


class BadRequestError(ManagerError):
    status = 400


class ConfigTooLargeError(ManagerError):
    """A config whose config-topic record Kafka would refuse."""

    status = 413


class ExecutionFailedError(ManagerError):
    """The manager's workflow ran and failed; the message is its cause."""

    status = 500


class TaskApplyError(ManagerError):
    """An item of the Map failed (the others ran to their end): Record status raises it, so RollBack runs."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures))
