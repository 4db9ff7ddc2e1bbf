"""Helpers for the reliability tests: one plain HTTP request to a live server. The
fixtures (gunicorn, the database proxy) are in tests/reliability/conftest.py."""

import http.client
import json
from typing import Any


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict | None = None, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request on a fresh connection: (status, headers, body); raises OSError on network failure."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "text/plain;charset=UTF-8", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except http.client.HTTPException as error:  # a worker killed mid-response
        raise ConnectionError(str(error)) from error
    finally:
        conn.close()
