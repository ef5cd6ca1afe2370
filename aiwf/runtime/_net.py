"""The settings every HTTP client of the runtime shares (the shared client's pool, the httpx
clients it makes), and its one TLS context."""

from __future__ import annotations

import functools
import os
import ssl

from aiwf._errors import AiwfError

#: Connections of a shared client unless more concurrency was announced (the engine's
#: default ``max_concurrency``).
MAX_CONNECTIONS = 128
#: Seconds an idle keep-alive connection is kept.
KEEPALIVE = 30.0
#: Seconds to establish a connection (per-attempt budgets are applied on top).
CONNECT_TIMEOUT = 10.0
#: The longest response header field accepted, in bytes (a whole head may be four times as
#: long; httpx allows about 100 KiB for a whole head, aiohttp 8 KiB per line by default).
MAX_HEADER = 65_536


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context for every client, made on first use (loading the CA bundle costs
    ~15 ms per context): the CA bundle of ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR`` when set,
    else certifi's, as httpx chooses (without importing httpx). A bundle that cannot be
    loaded is an :class:`~aiwf.AiwfError` naming it, not a failed connection."""
    cafile = os.environ.get("SSL_CERT_FILE")
    capath = os.environ.get("SSL_CERT_DIR")
    try:
        if cafile:
            return ssl.create_default_context(cafile=cafile)
        if capath:
            return ssl.create_default_context(capath=capath)
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except (OSError, ssl.SSLError) as exc:
        where = f"$SSL_CERT_FILE ({cafile})" if cafile else f"$SSL_CERT_DIR ({capath})"
        if not cafile and not capath:
            where = "certifi's CA bundle"
        raise AiwfError(
            f"cannot load the CA certificates of {where}: {exc.strerror or exc}",
            code="R008",
            hint="point $SSL_CERT_FILE at a PEM bundle of CA certificates, or unset it",
        ) from None
