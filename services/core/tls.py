"""One TLS context for every outgoing HTTPS client of the process.

Each `httpx.Client` built without one loads the whole CA bundle into a fresh `ssl.SSLContext` (tens of
milliseconds of CPU). The app builds several clients per runtime (providers, media downloads, webhooks), and a
context is safe to share between threads, so they all verify with this one.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """The verifying context httpx would build by default (certifi's CA bundle, SSL_CERT_FILE honoured), built once."""
    return httpx.create_ssl_context()
