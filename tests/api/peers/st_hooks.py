"""Schemathesis hooks for Latch: every response must carry the contract's security headers."""
import schemathesis

REQUIRED = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
}


def _header(response, name):
    for key, value in response.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, (list, tuple)) else value
    return None


@schemathesis.check
def security_headers(ctx, response, case):
    for name, expected in REQUIRED.items():
        got = _header(response, name)
        if got != expected:
            raise AssertionError(f"{name} is {got!r}, expected {expected!r}")
    if not _header(response, "x-request-id"):
        raise AssertionError("X-Request-Id is missing")
    if _header(response, "cache-control") not in ("no-store", "public, max-age=300"):
        raise AssertionError(f"unexpected Cache-Control {_header(response, 'cache-control')!r}")
