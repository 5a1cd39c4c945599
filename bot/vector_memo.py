"""An encoder that remembers the vectors of the texts it has encoded.

The inbox and the report group the same queued wordings on every page view; embedding them
again each time costs about a second per 1,000 distinct wordings. `remembering(encoder)`
wraps the running encoder so that only new wordings are embedded (the newest `size`
vectors are kept). A reload that brings a new encoder gets a new memo.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import numpy as np

MEMO_SIZE = 20_000


class RememberingEncoder:
    """`encode(texts)` like the wrapped encoder, embedding only texts not seen before."""

    def __init__(self, encoder: Any, size: int = MEMO_SIZE):
        self.encoder = encoder
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = np.asarray(self.encoder.encode(missing), dtype=np.float32)
            found = dict(zip(missing, fresh, strict=True))
            with self._lock:
                self._vectors.update(found)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        else:
            found = {}
        with self._lock:
            rows = []
            for text in texts:
                vector = found.get(text)
                if vector is None and text in self._vectors:
                    vector = self._vectors[text]
                    self._vectors.move_to_end(text)
                if vector is None:  # pushed out by a concurrent call: embed it again
                    vector = np.asarray(self.encoder.encode([text]), dtype=np.float32)[0]
                rows.append(vector)
        if not rows:
            return np.asarray(self.encoder.encode([]), dtype=np.float32)
        return np.stack(rows)


@lru_cache(maxsize=2)
def remembering(encoder: Any) -> RememberingEncoder:
    """The memo of `encoder` (one per encoder; the two most recent are kept)."""
    return RememberingEncoder(encoder)
