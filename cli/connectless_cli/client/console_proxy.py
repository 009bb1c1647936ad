"""`connectless console --url ApiUrl`: the web console of a deployed stack, from the user's own browser.

The stack's API takes only SigV4-signed requests (IAM auth), which a browser cannot make. This command serves
127.0.0.1:PORT and forwards every request to ApiUrl, signed with the user's AWS credentials (the client's
SigV4 signing, service execute-api); the console page itself comes from the API function's /ui. Against an
unsigned endpoint (standalone, `local up`) it simply forwards.
"""

from __future__ import annotations

import sys
import threading
import urllib.error
import urllib.request
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from connectless_cli.client.http import ConnectClient, ConnectRestError

if TYPE_CHECKING:
    import argparse

FORWARDED = ("Accept", "Content-Type")
RETURNED = ("Content-Type", "Cache-Control", "Allow")


class SigningProxy:
    """Forwards 127.0.0.1:port to `client.url`, signing when the client signs. Example:

    >>> proxy = SigningProxy(ConnectClient("https://abc.execute-api.eu-west-1.amazonaws.com/dev"))
    >>> proxy.start(); print(proxy.url + "/ui")
    """

    def __init__(self, client: ConnectClient, port: int = 0) -> None:
        self.client = client
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                status, headers, data = proxy.forward(self.command, self.path, body, dict(self.headers.items()))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _forward  # noqa: N815 - stdlib naming

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="console-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """One request to the API: (status, headers to return, body). Errors of the API pass through as they are."""
        url = self.client.url + path
        sent = {k: v for k, v in headers.items() if k.title() in FORWARDED}
        if self.client.sigv4:
            try:
                sent = self.client.signed_headers(method, url, body, sent)
            except ConnectRestError as exc:
                return 502, {"Content-Type": "application/json"}, _error(502, exc.message)
        request = urllib.request.Request(url, data=body, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.client.timeout_s) as response:  # noqa: S310
                return response.status, _kept(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, _kept(exc.headers), exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return 502, {"Content-Type": "application/json"}, _error(502, f"cannot reach {self.client.url}: {reason}")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _kept(headers: Any) -> dict[str, str]:
    return {k: headers[k] for k in RETURNED if headers.get(k) is not None}


def _error(status: int, message: str) -> bytes:
    import json

    return json.dumps({"error_code": status, "message": message}).encode()


def console(args: argparse.Namespace) -> int:
    client = ConnectClient(args.url, sigv4=args.sigv4)
    proxy = SigningProxy(client, args.port)
    proxy.start()
    page = proxy.url + "/ui"
    how = "signing with SigV4 from your AWS credentials" if client.sigv4 else "unsigned"
    print(f"Console of {client.url} on {page} ({how}); Ctrl-C to stop", file=sys.stderr, flush=True)
    if not args.no_browser:
        webbrowser.open(page)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    return 0


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("console", parents=[common], help="open the web console (a signing proxy for a deployed API)")
    p.add_argument("--port", type=int, default=8084, help="local port of the proxy (default 8084; 0: any free port)")
    p.add_argument("--no-browser", action="store_true", help="only print the console's address")
    p.set_defaults(func=console)
