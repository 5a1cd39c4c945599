"""Which text the user gets, in their language.

For the knowledge base's answers, in this order: the curated translation in the entry; a
cached machine translation; a live machine translation (then cached); the source text with
a one-line note that no translation exists yet. Questions, topic names and the bot's own
words follow the same order without the live step (they are translated ahead of time by
`kb translate`). Cached translations are read from the database into memory when the
knowledge base loads, so serving one costs a dictionary look-up.
"""

from __future__ import annotations

import logging
import sqlite3
import string
from dataclasses import dataclass

from bot import messages
from bot.config import TranslationConfig
from bot.knowledge import FaqEntry, KnowledgeBase, Link, Phrasing, Topic
from bot.segments import Glossary
from bot.storage import StorageError
from bot.translation import MachineTranslator, source_hash

log = logging.getLogger(__name__)

ORIGINAL, CURATED, MACHINE, SOURCE = "original", "curated", "machine", "source"
ANSWER, PHRASING, TOPIC, MESSAGE = "answer", "phrasing", "topic", "message"


@dataclass(frozen=True)
class Text:
    text: str
    source: str  # original | curated | machine | source
    stale: str | None = None  # an outdated curated translation shown below the source text


class Localizer:
    """Curated, cached and live translations of one knowledge base's texts."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: TranslationConfig,
        translator: MachineTranslator | None = None,
        storage=None,
        glossary: Glossary | None = None,
        languages: tuple[str, ...] = (),
        glossary_key: str = "",
    ):
        """`languages`: the configured languages (with the knowledge base's own and those
        of the curated locales, the targets machine translation is looked up for).
        `glossary_key`: a hash of the glossary; cached translations made under another
        glossary are not served (the glossary changes what a translation says)."""
        self.kb = kb
        self.config = config
        self.targets = sorted(
            set(languages) | set(kb.languages()) | set(messages.available()) - {kb.language}
        )
        self.translator = translator
        self.storage = storage
        self.glossary = glossary
        self.glossary_key = glossary_key
        self.memory: dict[tuple[str, str], str] = {}
        self.versions: dict[str, str] = {}  # target language -> model version
        self.refresh()

    def refresh(self) -> None:
        """Re-read which models are installed and the cached translations made with them."""
        self.versions = {}
        if self.translator is not None:
            for lang in self.targets:
                version = self.translator.model_version(self.kb.language, lang)
                if version:
                    suffix = f"~glossary-{self.glossary_key}" if self.glossary_key else ""
                    self.versions[lang] = version + suffix
        self.memory = {}
        if self.storage is None or not self.versions:  # no model: no cached text is usable
            return
        try:
            rows = self.storage.translations()
        except (StorageError, sqlite3.Error) as exc:  # a damaged database: answer without
            log.warning("cached translations could not be read (%s): translating anew", exc)
            return
        for row in rows:
            if (
                row["source_lang"] == self.kb.language
                and self.versions.get(row["target_lang"]) == row["model"]
            ):
                self.memory[row["source_hash"], row["target_lang"]] = row["text"]

    def languages(self) -> list[str]:
        """Target languages the installed models cover."""
        return sorted(self.versions)

    def cached(self, text: str, lang: str) -> str | None:
        return self.memory.get((source_hash(text), lang))

    def can_translate(self, lang: str) -> bool:
        return lang in self.versions

    def translate(self, text: str, lang: str, kind: str) -> str | None:
        """A machine translation of a knowledge-base text, from the cache or made now."""
        found = self.cached(text, lang)
        if found is not None or self.translator is None or not self.can_translate(lang):
            return found
        result = self.translator.translate(text, self.kb.language, lang, self.glossary)
        if result is None:
            return None
        key = source_hash(text)
        self.memory[key, lang] = result
        if self.storage is not None:
            try:
                self.storage.put_translation(
                    source_hash=key,
                    source_lang=self.kb.language,
                    target_lang=lang,
                    model=self.versions[lang],
                    kind=kind,
                    source=text,
                    text=result,
                )
            except (sqlite3.Error, OSError, StorageError) as exc:  # kept in memory: serve it
                log.warning("could not store a machine translation (%s); kept in memory", exc)
        return result

    # What the user reads ----------------------------------------------------------------

    def answer(self, entry: FaqEntry, lang: str, live: bool = False) -> Text:
        """A curated translation made from an older source text (stale) is never served as
        current: a machine translation of the current text is, else the current source
        text, with the outdated translation (`stale`) for the adapter to show marked."""
        if lang == self.kb.language:
            return Text(entry.answer, ORIGINAL)
        if lang in entry.translations and not entry.stale(lang):
            return Text(entry.translations[lang].answer, CURATED)
        machine = (
            self.translate(entry.answer, lang, ANSWER) if live else self.cached(entry.answer, lang)
        )
        if machine is not None:
            return Text(machine, MACHINE)
        outdated = entry.translations.get(lang)
        return Text(entry.answer, SOURCE, outdated.answer if outdated else None)

    def links(self, entry: FaqEntry, lang: str) -> tuple[Link, ...]:
        """The entry's links, titled in `lang` by its current curated translation."""
        return entry.link_titles(lang)

    def question(self, entry: FaqEntry, lang: str) -> str:
        if lang in entry.translations and entry.stale(lang):
            machine = self.cached(entry.question, lang)
            return machine or entry.translations[lang].question
        if lang in entry.translations:
            return entry.translations[lang].question
        if lang != self.kb.language:
            machine = self.cached(entry.question, lang)
            if machine is not None:
                return machine
        return entry.question

    def topic(self, topic: Topic, lang: str) -> str:
        name = topic.name_in(lang, self.kb.language)
        if lang not in topic.names and lang != self.kb.language:
            return self.cached(name, lang) or name
        return name

    def message(self, lang: str, key: str, **fields: str) -> str:
        """The bot's own words: the curated locale file, else a cached translation of the
        English text, else English."""
        if messages.has_locale(lang) or lang == messages.FALLBACK:
            return messages.text(lang, key, **fields)
        template = self._machine_message(lang, key) or messages.text(messages.FALLBACK, key)
        return template.format(**fields) if fields else template

    def speaks(self, lang: str, key: str) -> str:
        """The language message(lang, key) is written in: `lang`, or English when `lang` has
        neither a locale file nor a cached translation of that message (a country named in
        it is named in that language)."""
        if messages.has_locale(lang) or lang == messages.FALLBACK:
            return lang
        return lang if self._machine_message(lang, key) else messages.FALLBACK

    def _machine_message(self, lang: str, key: str) -> str | None:
        english = messages.text(messages.FALLBACK, key)
        machine = (
            self.memory.get((source_hash(english), lang)) if self.kb.language == "en" else None
        )
        return machine if machine and _same_fields(english, machine) else None

    def machine_phrasings(self) -> dict[str, list[Phrasing]]:
        """Cached machine translations of questions and alternates, to match against."""
        extra: dict[str, list[Phrasing]] = {}
        for entry in self.kb.entries:
            for lang in self.versions:
                if lang in entry.translations and not entry.stale(lang):
                    continue
                for text in (entry.question, *entry.alternates):
                    machine = self.cached(text, lang)
                    if machine:
                        extra.setdefault(entry.id, []).append(Phrasing(entry.id, lang, machine))
        return extra

    def pending(self, langs: list[str] | None = None) -> list[tuple[str, str, str]]:
        """(text, language, kind) that `kb translate` still has to translate."""
        todo = []
        targets = [lang for lang in (langs or self.languages()) if self.can_translate(lang)]
        for lang in targets:
            for entry in self.kb.entries:
                if lang in entry.translations and not entry.stale(lang):
                    continue
                todo.append((entry.answer, lang, ANSWER))
                todo += [(t, lang, PHRASING) for t in (entry.question, *entry.alternates)]
            todo += [
                (t.name_in(self.kb.language, self.kb.language), lang, TOPIC)
                for t in self.kb.topics
                if lang not in t.names
            ]
            if not messages.has_locale(lang) and self.kb.language == messages.FALLBACK:
                todo += [
                    (messages.text(messages.FALLBACK, key), lang, MESSAGE)
                    for key in messages.keys()
                ]
        seen = set()
        unique = []
        for text, lang, kind in todo:
            if (text, lang) not in seen and self.cached(text, lang) is None:
                seen.add((text, lang))
                unique.append((text, lang, kind))
        return unique


def _fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _same_fields(a: str, b: str) -> bool:
    """A machine-translated template is usable only with the same {placeholders}."""
    try:
        return _fields(a) == _fields(b)
    except ValueError:
        return False
