"""How the console is served: the options every uvicorn server shares, and how static
files are cached.

uvicorn believes X-Forwarded-For and X-Forwarded-Proto from 127.0.0.1 unless told
otherwise (its FORWARDED_ALLOW_IPS); here they are believed only from the addresses in
`[web] trusted_proxies`, and not at all when that list is empty. Behind a trusted proxy the
login limit (bot/accounts.py) and the logs see the client's address, and the request's
scheme is the one the client used (https at the proxy).

Static files (scripts, styles) are linked by the pages with their content's hash in the URL
(`Static.url`): a browser keeps them for a year and never asks again, and a new release,
whose files have new hashes, is fetched at once. Asked for without the current hash (an
older page, another site), they are revalidated on every use: a 304 when unchanged. Pages
and the conversation's API stay uncached (bot/web/app.py's SecurityHeaders).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

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


PathLike = str | os.PathLike[str]
IMMUTABLE = "public, max-age=31536000, immutable"  # a URL naming the content it serves
REVALIDATE = "no-cache"  # kept, but asked again each time (a 304 when unchanged)


class Static(StaticFiles):
    """The files of one directory under /static, served for the browser's cache: with the
    current hash of their content in the URL (`url`) for a year, else revalidated."""

    def __init__(self, directory: PathLike, prefix: str = "/static"):
        super().__init__(directory=directory)
        self.prefix = prefix
        self._hashes: dict[str, tuple[tuple[int, int], str]] = {}

    def version(self, path: PathLike) -> str:
        """A short hash of the file at `path`, read again when its size or time changes."""
        real = os.path.realpath(path)
        stat = os.stat(real)
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._hashes.get(real)
        if known is None or known[0] != stamp:
            with open(real, "rb") as file:
                known = (stamp, hashlib.sha256(file.read()).hexdigest()[:16])
            self._hashes[real] = known
        return known[1]

    def url(self, name: str) -> str:
        """The URL of file `name` for a page to link: "/static/chat.js?v=<hash>"."""
        return f"{self.prefix}/{name}?v={self.version(os.path.join(str(self.directory), name))}"

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v")
        current = asked == [self.version(full_path)]
        response.headers["cache-control"] = IMMUTABLE if current else REVALIDATE
        return response
