"""How the console is served by uvicorn: one place for the options every server shares.

uvicorn believes X-Forwarded-For and X-Forwarded-Proto from 127.0.0.1 unless told
otherwise (its FORWARDED_ALLOW_IPS); here they are believed only from the addresses in
`[web] trusted_proxies`, and not at all when that list is empty. Behind a trusted proxy the
login limit (bot/accounts.py) and the logs see the client's address, and the request's
scheme is the one the client used (https at the proxy).
"""

from __future__ import annotations

from typing import Any

import uvicorn

from bot.config import WebConfig


def uvicorn_config(
    asgi: Any, web: WebConfig, host: str, port: int, log_level: str = "warning"
) -> uvicorn.Config:
    """A uvicorn configuration for `asgi` on host:port, with `web`'s proxy rule."""
    return uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=bool(web.trusted_proxies),
        forwarded_allow_ips=list(web.trusted_proxies) or None,
        timeout_graceful_shutdown=5,  # open web chat pages hold event streams
    )
