"""What staff see in the inbox besides the unanswered queue, and each wording's translation.

The queue (`Storage.list_unanswered`) holds unanswered questions and "none of these"
choices (`kind`), which staff attach or ignore. Other signals are read here, without
changing anything (a read-only connection to the same database):

- questions that only got suggestions: a "did you mean" list, none chosen, not queued;
- 👎 on an answer, with the reason given;
- `/staff` messages (relayed to the staff chat, or typed in the terminal chat).

`wording_translations` puts a user's wording into the knowledge base's language with the
installed Argos models, cached in the database's `translations` table (kind "wording",
keyed by the wording's hash: the wording itself is not stored again).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.report import open_readonly
from bot.storage import NONE_OF_THESE, Storage, StorageError
from bot.translation import MachineTranslator, TranslationError, source_hash

log = logging.getLogger(__name__)

UNANSWERED, SUGGESTED, THUMBS_DOWN, STAFF_MESSAGE = (
    "unanswered",
    "suggested",
    "thumbs_down",
    "staff_message",
)
QUEUED_KINDS = (UNANSWERED, NONE_OF_THESE)  # in the queue: attach or ignore
KINDS = (*QUEUED_KINDS, SUGGESTED, THUMBS_DOWN, STAFF_MESSAGE)
WORDING = "wording"  # the kind of a cached translation of a user's wording
WORDING_BUDGET = 2.0  # seconds a page view may spend translating wordings not cached yet


def kind_of(row: dict) -> str:
    """The kind of a queued question (a row of `Storage.list_unanswered`)."""
    return row.get("kind") or UNANSWERED


@dataclass(frozen=True)
class Signal:
    """One item of the inbox that is not in the queue."""

    kind: str  # SUGGESTED, THUMBS_DOWN or STAFF_MESSAGE
    time: str
    language: str
    text: str
    entry_id: str | None = None  # the entry answered (👎) or suggested first
    reason: str | None = None  # the reason given with a 👎
    channel: str | None = None  # a message to staff: telegram, terminal or web


_SUGGESTED = """
SELECT 'suggested', i.time, i.language, i.question, i.entry_id, NULL, NULL FROM interactions i
WHERE i.status = 'suggest'
  AND NOT EXISTS (SELECT 1 FROM choices c
                  WHERE c.user_key = i.user_key AND c.question = i.question)
  AND NOT EXISTS (SELECT 1 FROM unanswered u
                  WHERE u.user_key = i.user_key AND u.question = i.question)
"""
_THUMBS_DOWN = """
SELECT 'thumbs_down', f.time, i.language, i.question, i.entry_id, f.reason, NULL
FROM feedback f JOIN interactions i ON i.id = f.interaction_id WHERE NOT f.helpful
"""
_STAFF = """
SELECT 'staff_message', r.time, r.language, r.question, NULL, NULL,
       CASE WHEN r.staff_chat_id = 0 THEN 'terminal'  -- TERMINAL_CHAT_ID: typed in the terminal
            WHEN r.user_chat IS NULL THEN 'web' ELSE 'telegram' END
FROM {table} r
WHERE r.question NOT LIKE '%(entry %)'
  AND NOT EXISTS (SELECT 1 FROM interactions i
                  WHERE i.user_key = r.user_key AND i.question = r.question)
"""


def signals(db_path: Path, kinds: Iterable[str] = KINDS, limit: int = 500) -> list[Signal]:
    """The newest suggestion-only questions, 👎 and /staff messages of `kinds`, newest first."""
    parts = []
    wanted = set(kinds)
    if SUGGESTED in wanted:
        parts.append(_SUGGESTED)
    if THUMBS_DOWN in wanted:
        parts.append(_THUMBS_DOWN)
    if STAFF_MESSAGE in wanted:
        parts += [_STAFF.format(table="relays"), _STAFF.format(table="relay_items")]
    if not parts:
        return []
    sql = " UNION ALL ".join(parts) + " ORDER BY 2 DESC LIMIT ?"
    conn = open_readonly(db_path)
    try:
        rows = conn.execute(sql, [limit]).fetchall()
    finally:
        conn.close()
    return [Signal(*row) for row in rows]


def wording_translations(
    storage: Storage,
    translator: MachineTranslator | None,
    texts: Iterable[tuple[str, str]],
    target: str,
    budget: float | None = None,
) -> dict[tuple[str, str], str]:
    """(text, language) -> the text in `target`, for every pair an installed model covers:
    from the cache, else translated now and cached, for at most `budget` seconds a call (a
    real model takes 0.15-0.4 s a sentence: the rest are translated on the next views)."""
    if translator is None:
        return {}
    wanted = {(t, lang) for t, lang in texts if lang != target and t.strip()}
    models = {lang: translator.model_version(lang, target) for _, lang in wanted}
    cached = {
        (row["source_hash"], row["source_lang"], row["model"]): row["text"]
        for row in storage.translations(target)
        if row["kind"] == WORDING
    }
    found: dict[tuple[str, str], str] = {}
    stop = time.monotonic() + (WORDING_BUDGET if budget is None else budget)
    for text, lang in sorted(wanted):
        model = models[lang]
        if model is None:
            continue
        key = (source_hash(text), lang, model)
        if key in cached:
            found[text, lang] = cached[key]
            continue
        if time.monotonic() >= stop:
            continue
        try:
            result = translator.translate(text, lang, target)
        except TranslationError as exc:
            log.warning("could not translate a wording from %s: %s", lang, exc)
            continue
        if result is None:
            continue
        found[text, lang] = result
        try:
            storage.put_translation(
                source_hash=key[0], source_lang=lang, target_lang=target, model=model,
                kind=WORDING, source="", text=result,
            )  # fmt: skip
        except (sqlite3.Error, OSError, StorageError) as exc:
            log.warning("could not cache a wording's translation (%s)", exc)
    return found
