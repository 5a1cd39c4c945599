"""The answering pipeline: question -> language -> small talk or match -> text -> Answer.

This is the core that the terminal and Telegram adapters share; it imports nothing from
`telegram`. `Answerer.ask()` never raises on user text: empty, huge, emoji-only, mixed or
control-character input all get an `Answer`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bot import messages, smalltalk
from bot.config import Config
from bot.encoder import Encoder
from bot.knowledge import FaqEntry, KnowledgeBase, Link, load_knowledge
from bot.language import LanguageDetector
from bot.matching import ANSWERED, SUGGEST, UNANSWERED, Matcher
from bot.normalize import clean

SMALLTALK = "smalltalk"
# Where the answer text came from.
ORIGINAL, CURATED, SOURCE = "original", "curated", "source"


@dataclass(frozen=True)
class Suggestion:
    id: str
    question: str  # in the user's language where a curated translation exists
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    language: str  # the language answered in
    detected: str | None  # what detection said, before fall-backs
    status: str  # answered | suggest | unanswered | smalltalk
    id: str | None
    score: float | None
    answer: str | None  # the entry's answer for the user, or None
    text_source: str | None  # original | curated | source (no translation yet)
    suggestions: tuple[Suggestion, ...]
    reply: str  # the whole message to show the user, as plain text
    smalltalk: str | None = None  # greeting | thanks | goodbye | gibberish | empty
    links: tuple[Link, ...] = ()
    truncated: bool = False
    took_ms: float = 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data["links"] = [asdict(link) for link in self.links]
        data["suggestions"] = [asdict(s) for s in self.suggestions]
        return data


class Answerer:
    """Answers questions from one knowledge base; cheap per question, built once."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher, detector: LanguageDetector,
                 config: Config):
        self.kb = kb
        self.matcher = matcher
        self.detector = detector
        self.config = config

    def language_for(self, text: str, chosen: str | None = None,
                     telegram_code: str | None = None) -> tuple[str, str | None]:
        lang, found = self.detector.choose(
            text, chosen=chosen, telegram_code=telegram_code, fallback=self.kb.language,
            min_confidence=self.config.languages.min_confidence,
        )
        return lang, found.language

    def entry_text(self, entry: FaqEntry, lang: str) -> tuple[str, str]:
        """The entry's answer in `lang` and where it came from."""
        if lang == self.kb.language:
            return entry.answer, ORIGINAL
        if lang in entry.translations:
            return entry.translations[lang].answer, CURATED
        return entry.answer, SOURCE

    def ask(self, question: str, *, lang: str | None = None,
            telegram_code: str | None = None) -> Answer:
        """Answer one question. `lang` is the user's explicit language choice, if any."""
        started = time.perf_counter()
        limit = self.config.matching.max_question_chars
        text = clean(question)
        truncated = len(text) > limit
        text = text[:limit]
        language, detected = self.language_for(text, lang, telegram_code)
        kind = smalltalk.classify(text)
        if kind is not None:
            answer = self._smalltalk(question, language, detected, kind)
        else:
            answer = self._matched(question, text, language, detected)
        if truncated:
            note = messages.text(language, "truncated")
            answer = replace(answer, truncated=True, reply=f"{note}\n\n{answer.reply}")
        return replace(answer, took_ms=round((time.perf_counter() - started) * 1000, 3))

    def answer_entry(self, entry_id: str, lang: str, question: str = "") -> Answer:
        """The answer of one entry (a chosen suggestion); KeyError for an unknown id."""
        entry = self.kb.by_id[entry_id]
        return self._entry_answer(question or entry.question_in(lang), lang, None, entry, 1.0)

    def _smalltalk(self, question: str, lang: str, detected: str | None, kind: str) -> Answer:
        return Answer(question, lang, detected, SMALLTALK, None, None, None, None, (),
                      messages.text(lang, kind), smalltalk=kind)

    def _matched(self, question: str, text: str, lang: str, detected: str | None) -> Answer:
        match = self.matcher.match(text)
        if match.status == ANSWERED:
            best = match.best
            return self._entry_answer(question, lang, detected, self.kb.by_id[best.entry_id],
                                      best.score)
        if match.status == SUGGEST:
            suggestions = tuple(
                Suggestion(c.entry_id, self.kb.by_id[c.entry_id].question_in(lang), c.score)
                for c in match.candidates
            )
            lines = [messages.text(lang, "did_you_mean")]
            lines += [f"{i}. {s.question}" for i, s in enumerate(suggestions, 1)]
            lines.append(messages.text(lang, "choose_one"))
            return Answer(question, lang, detected, SUGGEST, None, match.best.score, None, None,
                          suggestions, "\n".join(lines))
        return Answer(question, lang, detected, UNANSWERED, None, None, None, None, (),
                      messages.text(lang, "unanswered"))

    def _entry_answer(self, question: str, lang: str, detected: str | None, entry: FaqEntry,
                      score: float) -> Answer:
        body, source = self.entry_text(entry, lang)
        parts = []
        if source == SOURCE:
            name = messages.language_name(self.kb.language, lang)
            parts.append(messages.text(lang, "no_translation", source=name))
        parts.append(body)
        if entry.links:
            parts.append(messages.text(lang, "sources") + "\n" + "\n".join(
                f"- {link.title}: {link.url}" if link.title != link.url else f"- {link.url}"
                for link in entry.links
            ))
        return Answer(question, lang, detected, ANSWERED, entry.id, score, body, source, (),
                      "\n\n".join(parts), links=entry.links)


def build_answerer(config: Config, kb_dir: Path | None = None) -> Answerer:
    """Load the knowledge base (raises KnowledgeError) and everything computed from it."""
    kb = load_knowledge(kb_dir or config.knowledge.dir, config.knowledge.language,
                        config.knowledge.cache_dir)
    encoder = Encoder()
    matcher = Matcher(kb, config.matching, encoder, config.knowledge.cache_dir)
    answerer = Answerer(kb, matcher, LanguageDetector(config.languages.supported), config)
    answerer.ask("warm-up: load the models now, not on the first user's question")
    return answerer
