"""Writing files of the on-disk cache (knowledge base, embeddings, keys, trained layer).

A cache file is written to a temporary file beside it and renamed over it, so that another
process starting at the same time reads the old file or the new one, never half of one. A
cache that cannot be written costs the next start-up time and nothing else: the failure is
logged, not raised.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)


def write_cache(path: Path, write: Callable[[IO[Any]], object], *, text: bool = False) -> None:
    """Write `path` with `write(file)`; a text file is UTF-8."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w" if text else "wb",
            dir=path.parent,
            suffix=".tmp",
            delete=False,
            encoding="utf-8" if text else None,
        ) as tmp:
            tmp_name = tmp.name
            write(tmp)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        log.warning("could not write cache file %s: %s", path, exc)
    finally:
        if tmp_name:  # a failed write leaves no temporary file behind
            Path(tmp_name).unlink(missing_ok=True)
