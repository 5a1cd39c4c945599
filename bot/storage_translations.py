"""The machine translation cache (`translations`): knowledge base texts translated by a
model, by source text hash, languages and model.
"""

from __future__ import annotations

from typing import Any

from bot.storage_base import StorageBase


class TranslationTables(StorageBase):
    """The table `translations`."""

    def put_translation(
        self,
        *,
        source_hash: str,
        source_lang: str,
        target_lang: str,
        model: str,
        kind: str,
        source: str,
        text: str,
    ) -> None:
        """Store one machine translation (replacing one for the same source and model)."""
        row = {
            "source_hash": source_hash,
            "source_lang": source_lang,
            "target_lang": target_lang,
            "model": model,
            "kind": kind,
            "source": source,
            "text": text,
            "time": self._now(),
        }
        with self._write() as db:
            db.table("translations").insert(row, replace=True)

    def translations(self, target_lang: str | None = None) -> list[dict]:
        """Stored machine translations, for one target language or all."""
        sql = "SELECT * FROM translations"
        params: list[Any] = []
        if target_lang is not None:
            sql += " WHERE target_lang = ?"
            params.append(target_lang)
        return self._read(sql + " ORDER BY time", params)
