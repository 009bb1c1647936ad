"""REST errors: Kafka Connect's `{"error_code": <status>, "message": ...}`."""

from __future__ import annotations

from typing import Any

from connectless.manager.errors import BadRequestError, ManagerError


class NotFoundError(ManagerError):
    status = 404


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error_code": status, "message": message}


__all__ = ["BadRequestError", "ManagerError", "NotFoundError", "error_body"]
