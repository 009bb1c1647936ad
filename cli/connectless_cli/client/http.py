"""A small client of the Kafka Connect REST API over urllib: JSON in and out, errors as ConnectRestError.

Requests to an API Gateway endpoint (`*.execute-api.<region>.amazonaws.com`, the stack's IAM-authenticated API)
are signed with SigV4 from the usual AWS credentials; `sigv4=True` forces signing for a custom domain.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from typing import Any, Final
from urllib.parse import quote, urlsplit

DEFAULT_URL: Final = "http://127.0.0.1:8083"
URL_ENV: Final = "CONNECTLESS_URL"
_EXECUTE_API = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class ConnectRestError(Exception):
    """The endpoint answered with an error (`status`, Kafka Connect's `message`) or could not be reached (0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.message = message


def default_url() -> str:
    return os.environ.get(URL_ENV) or DEFAULT_URL


def path_of(*segments: str) -> str:
    """`/a/b` with each segment escaped: connector names may hold any character."""
    return "".join("/" + quote(s, safe="") for s in segments)


class ConnectClient:
    def __init__(self, url: str | None = None, *, sigv4: bool | None = None, timeout_s: float = 30.0) -> None:
        self.url = (url or default_url()).rstrip("/")
        host = urlsplit(self.url).hostname or ""
        match = _EXECUTE_API.search(host)
        self.region = match.group(1) if match else None
        self.sigv4 = bool(match) if sigv4 is None else sigv4
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, body: Any = None, query: str = "") -> tuple[int, Any]:
        """(status, decoded JSON or None); an error status raises ConnectRestError."""
        url = self.url + path + (f"?{query}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.sigv4:
            headers = self.signed_headers(method, url, data, headers)
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as exc:
            payload = _decode(exc.read())
            message = payload.get("message") if isinstance(payload, dict) else None
            raise ConnectRestError(exc.code, str(message or payload or exc.reason)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectRestError(0, f"cannot reach {self.url}: {reason}") from None

    def signed_headers(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> dict[str, str]:
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        session = boto3.session.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ConnectRestError(0, "the endpoint needs SigV4-signed requests and no AWS credentials were found")
        aws_request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(credentials, "execute-api", self.region or session.region_name or "us-east-1").add_auth(aws_request)
        return dict(aws_request.headers.items())

    # -- the calls the commands make ---------------------------------------------------------------------
    def get(self, path: str, query: str = "") -> Any:
        return self.request("GET", path, query=query)[1]


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
