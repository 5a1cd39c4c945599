"""Environment variables set for a moment: while a library that reads them at load time
loads (argostranslate's folders, the e5 engine's OpenMP settings), and not for the rest of
the process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def restored(*names: str) -> Iterator[None]:
    """Within the block `names` may be set, changed or removed; afterwards each has its
    value from before again (or is unset again)."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
