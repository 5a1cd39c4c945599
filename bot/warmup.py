"""The second sentence encoder, made ready in the background after a first start.

A first start (an empty cache, or a new encoder version) embeds every phrasing with both
encoders: with the shipped knowledge base about 20 s with USE, over 3.5 minutes with e5. The
long-running modes (`run`, `web`, `chat`) therefore build with `defer_second` and answer
with USE alone at once, while a thread here embeds the phrasings with e5 into the cache,
then builds the fused answerer as a reload does and swaps it in. A reload made in the
meantime is not lost: the swap rebuilds from whatever answerer is serving by then.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from bot.answering import Answerer, build_answerer
from bot.config import Config
from bot.encoder import cached_embeddings

log = logging.getLogger(__name__)

# The background embedding saves to the cache every this many texts (about 25 s with e5).
SAVE_EVERY = 1024


def pending(answerer: Answerer) -> bool:
    """Whether `answerer` answers with the first encoder alone until the second is ready."""
    return answerer.matcher.second_pending is not None


def complete(
    get: Callable[[], Answerer],
    put: Callable[[Answerer], None],
    config: Config,
    storage=None,
    lock: contextlib.AbstractContextManager | None = None,
) -> bool:
    """Embed what the second encoder still lacks (into the cache), build the answerer that
    fuses both from the one `get()` returns, and `put()` it, under `lock` (the lock that
    reloads take). False when nothing was pending."""
    first = get()
    second = first.matcher.second_pending
    if second is None:
        return False
    started = time.perf_counter()
    texts = first.matcher.texts + first.matcher.offtopic_texts
    # In parts, each saved to the cache: what a stop in the middle leaves is not lost.
    for end in range(SAVE_EVERY, len(texts) + SAVE_EVERY, SAVE_EVERY):
        cached_embeddings(second, texts[:end], config.knowledge.cache_dir)
    with lock if lock is not None else contextlib.nullcontext():
        latest = get()  # a reload may have replaced `first` meanwhile
        put(
            build_answerer(
                config,
                None,
                storage,
                latest.localizer.translator,
                encoder=latest.matcher.encoder,
                previous=latest,
            )
        )
    log.info(
        "second encoder (%s) ready after %.0f s: answers now fuse both encoders",
        second.name,
        time.perf_counter() - started,
    )
    return True


def start(
    get: Callable[[], Answerer],
    put: Callable[[Answerer], None],
    config: Config,
    storage=None,
    lock: contextlib.AbstractContextManager | None = None,
) -> threading.Thread | None:
    """`complete` in a daemon thread, when the answerer `get()` returns deferred its second
    encoder; None when it did not. A failure is logged, and answers go on with the first
    encoder alone."""
    if not pending(get()):
        return None

    def work() -> None:
        try:
            complete(get, put, config, storage, lock)
        except Exception:
            log.exception("the second encoder could not be prepared: answering with USE alone")

    thread = threading.Thread(target=work, name="second-encoder", daemon=True)
    thread.start()
    return thread
