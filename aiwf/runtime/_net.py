"""The settings every HTTP client of the runtime shares (the lean pool, the aiohttp session,
the httpx clients), and its one TLS context."""

from __future__ import annotations

import functools
import os
import ssl

#: Connections of a shared client unless more concurrency was announced (the engine's
#: default ``max_concurrency``).
MAX_CONNECTIONS = 128
#: Seconds an idle keep-alive connection is kept.
KEEPALIVE = 30.0
#: Seconds to establish a connection (per-attempt budgets are applied on top).
CONNECT_TIMEOUT = 10.0
#: The longest response header line (and header field) accepted, in bytes (aiohttp allows
#: 8 KiB by default; httpx, which the runtime used before, about 100 KiB for a whole head).
MAX_HEADER = 65_536


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context for every client, made on first use (loading the CA bundle costs
    ~15 ms per context): the CA bundle of ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR`` when set,
    else certifi's, as httpx chooses (without importing httpx)."""
    cafile = os.environ.get("SSL_CERT_FILE")
    if cafile:
        return ssl.create_default_context(cafile=cafile)
    capath = os.environ.get("SSL_CERT_DIR")
    if capath:
        return ssl.create_default_context(capath=capath)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
