"""The answering pipeline: question -> language -> small talk or match -> text -> Answer.

This is the core that the terminal and Telegram adapters share; it imports nothing from
`telegram`. `Answerer.ask()` never raises on user text: empty, huge, emoji-only, mixed or
control-character input all get an `Answer`.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bot import messages, smalltalk
from bot.config import Config
from bot.elsewhere import Place, place_elsewhere
from bot.encoder import E5Encoder, Encoder, second_encoder
from bot.knowledge import (
    LANGUAGE_CODES,
    FaqEntry,
    KnowledgeBase,
    KnowledgeError,
    Link,
    load_knowledge,
)
from bot.language import Detection, LanguageDetector
from bot.localize import MACHINE, SOURCE, Localizer
from bot.matching import ANSWERED, SUGGEST, UNANSWERED, Candidate, Match, Matcher
from bot.normalize import clean
from bot.offtopic import load_offtopic
from bot.segments import Glossary, GlossaryError
from bot.translation import MachineTranslator

SMALLTALK = "smalltalk"
# Lexical similarity (0..1) to a phrasing above which that phrasing's language counts as
# evidence of the question's, when detection is unsure: together with the detector's own
# best guess, or alone when nearly the same text. With 0.5 rather than 0.7, the first two or
# three words of the validation questions in Latin-script languages (1,823 short messages)
# got 81 more replies in their language and none fewer ("marka tescili": Turkish at 0.25,
# the Turkish phrasing 0.63 alike).
HINT_LEXICAL = 0.5
HINT_LEXICAL_ALONE = 0.9
# Between languages the writing cannot tell apart (Detection.undecided): Han characters in
# traditional forms, matched against the Chinese and Japanese phrasings, whose spelling the
# normalising makes comparable. Of 549 Chinese phrasings and validation questions converted
# to Taiwan's traditional forms, none matched a Japanese phrasing this closely (3 did at
# 0.5); of 11 such Japanese validation questions 8 did (5 at 0.7).
HINT_LEXICAL_UNDECIDED = 0.6
# A follow-up read with the question before it, when it would get that question's answer
# again, must ask something (bot/config.py follow_up_minutes): "and how long does it take?"
# does, "nobody has called me back for a month" does not.
QUESTION_MARK = re.compile(r"[?？؟¿]")
NONE_CHOICE = "0"  # the number of "none of these" under a "did you mean" list
MAX_RELATED = 3  # "see also" entries under an answer
# A message of several sentences is also asked sentence by sentence (`[matching]
# answer_parts`, see `Answerer._by_parts`): a sentence ends at ? ! 。 (any script) or
# at . ; followed by a space. Shorter pieces than MIN_PART_CHARS ("ok.", "Hi!") are not asked
# on their own; at most MAX_PARTS answers are given.
SENTENCE_END = re.compile(r"(?<=[?？!！。])\s*|(?<=[.;；])\s+")
MIN_PART_CHARS = 8
MAX_PARTS = 3
# Each sentence costs a match, with the first encoder alone (~3 ms; both would add ~20-30 ms
# a sentence and take the answering time of real two-part questions past 100 ms at p99).
MAX_SENTENCES = 3


@dataclass(frozen=True)
class Suggestion:
    id: str
    question: str  # in the user's language where a curated translation exists
    score: float


@dataclass(frozen=True)
class Earlier:
    """What a conversation was last answered: a short message after it ("how do I register a
    WFOE?", then "and how much does it cost?") may only make sense with it (Answerer.ask)."""

    question: str  # as it was matched (a follow-up's own words after the question before)
    entry_id: str  # the entry it was answered with
    at: float  # when, as time.time()


@dataclass(frozen=True)
class Answer:
    question: str
    language: str  # the language answered in
    detected: str | None  # what detection said, before fall-backs
    status: str  # answered | suggest | unanswered | smalltalk
    id: str | None
    score: float | None
    answer: str | None  # the entry's answer for the user, or None
    text_source: str | None  # original | curated | machine | source (no translation yet)
    suggestions: tuple[Suggestion, ...]
    reply: str  # the whole message to show the user, as plain text
    smalltalk: str | None = None  # greeting|thanks|goodbye|about_bot|frustration|gibberish|empty
    links: tuple[Link, ...] = ()  # titled in the answer's language where curated
    truncated: bool = False
    translation_stale: bool = False  # the curated translation predates the source text
    topic: str = ""  # the entry's topic name in the answer's language
    took_ms: float = 0.0
    # "See also" choices in the user's language, score 0: the entry ranked next to the
    # answer's when the question is close to it too (Match.nearest), then the entries staff
    # marked as related to the answer's (`related`, either way).
    related: tuple[Suggestion, ...] = ()
    # The id of the first of `related` when it is the entry ranked next (Match.nearest): a
    # user who opens it shows that the question may mean it, like a chosen suggestion.
    nearest: str | None = None
    # A message that asks several things: the answers to its other sentences, in the order
    # asked, each with that sentence as its `question` (this one keeps the whole message).
    parts: tuple[Answer, ...] = ()
    # 0 for the answer to a message; 1, 2... for the answers in its `parts`.
    part: int = 0
    # What the user is told before anything else, in their language (the message was cut
    # short, it seems set in another country); already at the head of `reply`. An adapter
    # that shows other words than `reply` puts it first (with_notice).
    notice: str = ""
    # The ISO 3166 code of the other country the question seems set in (elsewhere.py): no
    # answer about China, suggestions "if you meant China" at most.
    elsewhere: str | None = None
    # The language the question is written in when the bot does not configure it and
    # `language` is another: Vietnamese or Uzbek (answered in English, or the language the
    # user chose), Kazakh (Russian), Hindi from a user who chose English. None otherwise
    # (Hindi or Persian is `language` itself, answered from the English text). Logged, so
    # that reports count such users under their own language.
    written_in: str | None = None
    # What the message was matched as when not its own words alone: a follow-up read with
    # the question before it ("how do I register a WFOE? how much does it cost?"); "" else.
    asked: str = ""
    # The question before that the follow-up rule read the message with (Earlier.question),
    # whether or not that answered it; "" when it did not read it so. A follow-up still
    # unanswered ("what about a visa?" after a trademark question) is queued with it, so
    # that staff read it in context.
    after: str = ""

    def earlier(self) -> Earlier | None:
        """What a next message may follow up on (Answerer.ask's `earlier`): this answer's
        entry and the question it answered, when it answered one."""
        if self.status != ANSWERED or self.id is None:
            return None
        return Earlier(self.asked or self.question, self.id, time.time())

    def log_fields(self) -> dict:
        """What the question log records of this answer (Storage.log_interaction's own
        keywords); the adapter adds who asked, where, and how long they waited."""
        return {
            "language": self.language,
            "question": self.question,
            "status": self.status,
            "entry_id": self.id,
            "score": self.score,
            # The message's time is its first answer's; a part has none of its own.
            "took_ms": None if self.part else self.took_ms,
            "text_source": self.text_source,
            "part": self.part or None,
            "written_in": self.written_in,
            "after": self.after or None,
        }

    def to_json(self) -> dict:
        data = asdict(self)
        data["links"] = [asdict(link) for link in self.links]
        data["suggestions"] = [asdict(s) for s in self.suggestions]
        data["related"] = [asdict(s) for s in self.related]
        return data


class Answerer:
    """Answers questions from one knowledge base; cheap per question, built once."""

    def __init__(
        self,
        kb: KnowledgeBase,
        matcher: Matcher,
        detector: LanguageDetector,
        config: Config,
        localizer: Localizer | None = None,
    ):
        self.kb = kb
        self.matcher = matcher
        self.detector = detector
        self.config = config
        self.localizer = localizer or Localizer(kb, config.translation)
        self.topics = {t.id: t for t in kb.topics}
        self.related = kb.related_both_ways()  # "see also" under an answer, MAX_RELATED

    def language_for(
        self, text: str, chosen: str | None = None, telegram_code: str | None = None
    ) -> tuple[str, str | None]:
        lang, found = self._choose(text, chosen, telegram_code)
        return lang, found.language

    def _choose(
        self, text: str, chosen: str | None, telegram_code: str | None
    ) -> tuple[str, Detection]:
        return self.detector.choose(
            self.matcher.spelled(text),  # "sirket nasil kurulur" is Turkish to the detector
            chosen=chosen,
            telegram_code=telegram_code,
            fallback=self.kb.language,
            min_confidence=self.config.languages.min_confidence,
        )

    def ask(
        self,
        question: str,
        *,
        lang: str | None = None,
        telegram_code: str | None = None,
        recent: str | None = None,
        earlier: Earlier | None = None,
        live: bool = False,
    ) -> Answer:
        """Answer one question. `lang` is the user's explicit language choice, if any;
        `recent` the language their conversation was last answered in, if any: a message
        too short or too mixed for the detector ("fapiao?", "ok thanks", "WFOE") stays in it
        (see _continued); `earlier` what it was last answered (Answer.earlier): a follow-up
        is read with it (see _follow_up); `live` allows translating an answer now when no
        translation is cached (slow)."""
        started = time.perf_counter()
        limit = self.config.matching.max_question_chars
        text = clean(question)
        truncated = len(text) > limit
        text = text[:limit]
        language, found = self._choose(text, lang, telegram_code)
        detected = found.language
        # What the encoders read: Vietnamese detected as the nearest configured language
        # (Detection.written) is still a language the first encoder never read.
        reading = found.written or detected
        kind = smalltalk.classify(text)
        place: Place | None = None
        unsure = found.confidence < self.config.languages.min_confidence
        # The conversation's language, for a message that does not say its own (not for one
        # written in a language the bot does not speak: a Vietnamese message is not Russian).
        supported = self.config.languages.supported
        ongoing = recent if recent in supported and not found.written else None
        if kind is not None:
            if lang is None and ongoing is not None and (unsure or found.undecided):
                language = ongoing  # "thanks" after Chinese questions: thanked in Chinese
            elif lang is None and (unsure or found.undecided):
                # "hola" or "obrigado" is too short for the detector, but only one language
                # says it: that one, rather than the Telegram app's or the default language
                spoken = smalltalk.language_of(text)
                if spoken is not None and spoken in self.config.languages.supported:
                    language = spoken
            answer = self._smalltalk(question, language, detected, kind)
        else:
            match = self.matcher.match(text, language=reading)
            match, asked, after = self._follow_up(text, match, earlier, reading)
            match = self._readable(match, reading)
            if lang is None and (unsure or found.undecided):
                hinted = self._phrasing_language(match, found)
                # Else the app's or browser's language: "fapiao" as a first message from a
                # Korean browser is answered in Korean, not in its English phrasing's language.
                app = (telegram_code or "").split("-")[0].lower()
                if ongoing is None and app in supported and not found.written:
                    ongoing = app
                if ongoing is not None:
                    language = self._continued(ongoing, hinted, found, language)
                else:
                    language = hinted or language
            place = (
                place_elsewhere(self.matcher.spelled(text), (language, reading or language))
                if self.config.matching.hold_other_countries
                else None
            )
            if place is not None:
                answer = self._elsewhere(question, match, language, detected, place)
            elif match.status == ANSWERED and len(match.candidates) > 1:
                answer = self._pair(question, match, language, detected, live)
            else:
                answer = self._matched(question, match, language, detected, live)
            if asked:
                answer = replace(answer, asked=asked)
            elif place is None and match.status != UNANSWERED and self.config.matching.answer_parts:
                answer = self._by_parts(question, text, match, answer, language, detected, live)
            if after:
                answer = replace(answer, after=after)
        # A list or no answer in a language no encoder in use reads: say so (not for small
        # talk, nor a question about another country, which was understood).
        if (
            kind is None
            and place is None
            and answer.status != ANSWERED
            and not self.matcher.reads(reading)
        ):
            answer = replace(answer, notice=self._unread_note(reading, language, answer.notice))
        if reading and reading not in self.config.languages.supported and reading != language:
            answer = replace(
                answer,
                written_in=reading,
                parts=tuple(replace(p, written_in=reading) for p in answer.parts),
            )
        if truncated:
            note = self.localizer.message(language, "truncated")
            answer = replace(answer, truncated=True, notice=with_notice(note, answer.notice))
        if answer.notice:
            answer = replace(answer, reply=with_notice(answer.notice, answer.reply))
        return replace(answer, took_ms=round((time.perf_counter() - started) * 1000, 3))

    def _follow_up(
        self, text: str, match: Match, earlier: Earlier | None, reading: str | None
    ) -> tuple[Match, str, str]:
        """The match of a follow-up read with the question the conversation was last answered
        (`earlier`, at most follow_up_minutes ago), and that text, when it answers it
        otherwise, else `match` and ""; last, that earlier question when the message was
        read with it, answered so or not (Answer.after), else "".
        "how do I register a WFOE?", then "and how much does it cost?", alone the centre's
        own fees, is the set-up cost; "and how long does it take?", with no answer alone,
        gets the trademark answer again after a trademark question.
        - A message not answered alone gets the answer of it read after the earlier question,
          when that one is answered. When that is the entry just answered, and the message
          asks something (a question mark: not "nobody has called me back"), follow_up_repeat
          says what: "offer" (shipped) puts it first in a "did you mean" list, since given
          again as the answer it was wrong one time in three ("Can I pay the office rent with
          bitcoin?" after the small-scale VAT rate got the VAT rate again); "answer" gives it;
          "never" keeps the message's own match.
        - A longer message than follow_up_chars is a question of its own: "How much does it
          cost to set up a company? How long does it take?" after a capital question.
        - A short message (at most follow_up_override_chars) answered alone gets another
          answer only when read after the earlier question it is answered with a third
          entry, neither its own nor the earlier one: "how much does it cost?" is the
          centre's fees alone, the trademark fees after a trademark question; "what are your
          opening hours?" stays the opening hours.
        - Never for a message the off-topic gate holds back (offtopic_threshold).
        On bench/data/followups-validation.yaml (bench/README.md), second messages answered
        right 48.7 -> 57.5%, wrongly 23.0 -> 17.7%, helpful 60.2 -> 70.8%; messages no entry
        answers held back 74.2% either way."""
        cfg = self.config.matching
        alone = (match, "", "")
        if earlier is None or cfg.follow_up_minutes <= 0:
            return alone
        if time.time() - earlier.at > cfg.follow_up_minutes * 60:
            return alone
        own = match.best.entry_id if match.status == ANSWERED and match.best else None
        if len(text) > cfg.follow_up_chars:
            return alone  # a question of its own ("How much does it cost? How long?")
        if own is not None and len(text) > cfg.follow_up_override_chars:
            return alone
        gate = match.ranked[0].offtopic if match.ranked else 0.0
        if gate >= cfg.offtopic_threshold:
            return alone
        room = max(cfg.max_question_chars - len(text) - 1, 0)
        asked = f"{earlier.question[-room:] if room else ''} {text}".strip()
        joined = self.matcher.match(asked, language=reading)
        best = joined.best
        read = (match, "", earlier.question)
        if joined.status != ANSWERED or best is None:
            return read
        if own is not None and best.entry_id in (own, earlier.entry_id):
            return read
        if best.entry_id == earlier.entry_id:
            if not QUESTION_MARK.search(text) or cfg.follow_up_repeat == "never":
                return read
            if cfg.follow_up_repeat == "offer":
                return self._offer_again(match, best), "", earlier.question
        return joined, asked, earlier.question

    def _offer_again(self, match: Match, earlier: Candidate) -> Match:
        """A "did you mean" list that offers the entry just answered first, then what the
        message alone would offer."""
        others = tuple(
            c for c in (match.close or match.candidates) if c.entry_id != earlier.entry_id
        )
        first = (earlier, *others)[: self.config.matching.max_suggestions]
        return Match(SUGGEST, first, first, ranked=match.ranked)

    def _readable(self, match: Match, detected: str | None) -> Match:
        """`match`, or a list of what it would answer when the question is in a language
        no encoder in use was trained on (Matcher.reads): Persian or Urdu while only USE is
        ready (the minutes of a first start before e5 has embedded the knowledge base, or a
        CPU without AVX2). A phrasing matched word for word is still answered."""
        best = match.best
        if match.status != ANSWERED or best is None or best.exact:
            return match
        if self.matcher.reads(detected):
            return match
        return match.offered()

    def _unread_note(self, reading: str | None, language: str, notice: str) -> str:
        """`notice` with a note that a list or no answer may come from misreading a language
        no encoder in use was trained on (Persian or Vietnamese while only USE is ready):
        ask again in a few minutes, when e5 has embedded the knowledge base (a first start),
        or in the reply's language (e5 not in use: `second_encoder = "none"`, or a CPU
        without AVX2)."""
        key = "reading_soon" if self.matcher.second_pending is not None else "reading_rough"
        name = messages.language_name(reading or "", self.localizer.speaks(language, key))
        return with_notice(notice, self.localizer.message(language, key, language=name))

    def language_of(self, text: str, lang: str | None = None) -> str:
        """The language a message is logged in, as `ask` chooses it for a question: `lang`
        (the user's explicit choice), else the one `text` is detected in, else the
        knowledge base's. For messages that are not questions (/staff)."""
        return self._choose(clean(text), lang, None)[0]

    def answer_entry(
        self, entry_id: str, lang: str, question: str = "", live: bool = False
    ) -> Answer:
        """The answer of one entry (a chosen suggestion); KeyError for an unknown id."""
        entry = self.kb.by_id[entry_id]
        question = question or self.localizer.question(entry, lang)
        return self._entry_answer(question, lang, None, entry, 1.0, live)

    def translated(self, answer: Answer) -> Answer:
        """`answer` with a live machine translation where it had only the source text."""
        if answer.text_source != SOURCE or answer.id is None:
            return answer
        if not self.localizer.can_translate(answer.language):
            return answer
        entry = self.kb.by_id[answer.id]
        fresh = self._entry_answer(
            answer.question, answer.language, answer.detected, entry, answer.score or 1.0, True
        )
        shown = self._with_reply(replace(fresh, related=answer.related, nearest=answer.nearest))
        return replace(  # "See also" as it was offered, the notice as it was given
            shown,
            reply=with_notice(answer.notice, shown.reply),
            notice=answer.notice,
            took_ms=answer.took_ms,
            truncated=answer.truncated,
            parts=answer.parts,
            part=answer.part,
            written_in=answer.written_in,
        )

    def _smalltalk(self, question: str, lang: str, detected: str | None, kind: str) -> Answer:
        return Answer(
            question,
            lang,
            detected,
            SMALLTALK,
            None,
            None,
            None,
            None,
            (),
            self.localizer.message(lang, kind),
            smalltalk=kind,
        )

    def _elsewhere(
        self, question: str, match: Match, lang: str, detected: str | None, place: Place
    ) -> Answer:
        """A question set in another country: no answer about China; what would have been
        answered or suggested is offered, "if you meant China"."""
        offered = match.offered()
        if match.status == UNANSWERED or not offered.candidates:
            answer = self._matched(question, Match(UNANSWERED, ()), lang, detected, False)
        else:
            answer = self._matched(question, offered, lang, detected, False, True)
        country = place.name(self.localizer.speaks(lang, "elsewhere"))
        notice = self.localizer.message(lang, "elsewhere", country=country)
        return replace(answer, notice=notice, elsewhere=place.code)

    def _pair(
        self, question: str, match: Match, lang: str, detected: str | None, live: bool
    ) -> Answer:
        """Both answers to a question between two entries (Matcher._pair), best first, the
        second as a part; neither offers the other under "See also"."""
        best, runner = match.candidates[:2]
        first, second = self.kb.by_id[best.entry_id], self.kb.by_id[runner.entry_id]
        answer = self._entry_answer(question, lang, detected, first, best.score, live)
        other = self._entry_answer(question, lang, detected, second, runner.score, live)
        answer, other = self._besides(answer, {second.id}), self._besides(other, {first.id})
        return replace(answer, parts=(replace(other, part=1),))

    def _by_parts(
        self,
        question: str,
        text: str,
        match: Match,
        answer: Answer,
        lang: str,
        detected: str | None,
        live: bool,
    ) -> Answer:
        """`answer` to a message of several sentences, with every part of it answered.

        Each sentence (at most MAX_SENTENCES) is matched on its own as well, with the first
        encoder alone; not at all in a detected language it was not trained on (Matcher.reads;
        a message only `written` in one, Vietnamese or Kazakh taken for a configured language,
        still is: on bench/data/other-languages-validation.yaml, seeds 0-2, 0.3 points more
        right and no more wrong than not):
        - the message as a whole was answered: a sentence answered alone with another entry
          adds that entry's answer ("How do I get a work permit? And when is the centre
          open?" gets both, when the opening hours are close to the whole message too), or
          with an entry the whole message ranks among its first few but too unlikely to offer
          (its answer took nearly all the probability), when the sentence is sure of it
          (`part_confidence`) and the second encoder finds it close to the whole message
          (`part_similarity`): "상담 예약은 어떻게 하나요? 한국어 가능한 직원 있어요?" (how do I
          book? does anyone speak Korean?) was answered about languages alone; or with any
          entry the sentence is sure of when the second encoder, asked about that sentence
          alone, confirms it (cosine >= `part_confirm` to one of its phrasings): "How do I
          open a company bank account? And how long does it take to get a work permit? And
          what is the VAT rate for small companies?" got the bank account alone, its other
          questions' entries being too far from the whole message to rank among its first;
        - the whole got only a "did you mean" list, its probability split between the
          entries its sentences ask about: when a sentence answered alone with the entry
          ranked first confirms it, each sentence answered alone with one of the entries
          offered gets that answer, and the list stays, without the answered entries, for
          the sentences no answer covers. On bench/data/validation.yaml (seeds 0-2, with
          both encoders on the sentences) this last condition kept wrong answers at 2.0%
          (2.2% without it) for 89.1% right (89.7%): a sentence alone loses the context of
          the others ("how much does it cost to close a WFOE?" is the set-up cost).
        The first answer (the whole message's, if it had one) carries the others as
        `parts`, in the order asked."""
        if not self.matcher.reads(detected, first_only=True):
            return answer  # sentences are matched with USE alone: not in a language it never read
        whole = match.best.entry_id if match.status == ANSWERED and match.best else None
        # The answers already given (the whole message's, and its pair's: Matcher._pair).
        made = {a.id: a for a in (answer, *answer.parts) if a.id} if whole is not None else {}
        offered = {c.entry_id for c in match.close or match.candidates}
        cfg = self.config.matching
        # Ranked next to the answer, too unlikely to be offered (the answer took nearly all
        # the probability) but close to the message by the second encoder: a sentence answered
        # alone with one of them, with confidence, asks for it.
        beside = (
            {c.entry_id for c in match.ranked if c.semantic_second >= cfg.part_similarity}
            if whole is not None and cfg.part_confidence < 1.0
            else set()
        )
        # A sentence e5 confirms may add any entry (part_confirm): not without e5 (warm-up).
        confirming = cfg.part_confirm > 0 and self.matcher.second is not None
        if whole is not None and not confirming and not (offered | beside) - set(made):
            return answer  # nothing else close: no sentence can add an answer (saves time)
        sentences = split_sentences(text)
        if len(sentences) < 2:
            return answer
        # entry -> (its sentence, score)
        found: dict[str, tuple[str, float | None]] = {
            entry_id: (question, made_answer.score) for entry_id, made_answer in made.items()
        }
        rest: list[str] = []  # sentences asked that no answer covers
        for sentence in sentences[:MAX_SENTENCES]:
            if smalltalk.classify(sentence) is not None:
                continue
            alone = self.matcher.match(sentence, first_only=True)
            chosen = alone.best
            if (
                len(found) < MAX_PARTS
                and alone.status == ANSWERED
                and chosen is not None
                and (
                    chosen.entry_id in offered
                    or (
                        chosen.entry_id in beside
                        and min(chosen.score, chosen.classifier) >= cfg.part_confidence
                    )
                    or (
                        whole is not None
                        and confirming
                        and chosen.entry_id not in found
                        and min(chosen.score, chosen.classifier) >= cfg.part_confidence
                        and self.matcher.second_similarity(sentence, chosen.entry_id)
                        >= cfg.part_confirm
                    )
                )
            ):
                found.setdefault(chosen.entry_id, (sentence, chosen.score))
            elif chosen is None or chosen.entry_id not in found:
                rest.append(sentence)
        if whole is not None and len(found) == len(made):
            return answer  # no sentence added another answer
        if whole is None and match.candidates[0].entry_id not in found:
            return answer  # no sentence asks for what the whole message ranks first
        answers = [
            made[entry_id]
            if entry_id in made
            else self._entry_answer(
                question if i == 0 else sentence,
                lang,
                detected,
                self.kb.by_id[entry_id],
                score,
                live,
            )
            for i, (entry_id, (sentence, score)) in enumerate(found.items())
        ]
        # What the answers leave open keeps the whole message's other suggestions.
        others = tuple(c for c in match.candidates if c.entry_id not in found)
        if whole is None and rest and others:
            answers.append(
                self._matched(" ".join(rest), Match(SUGGEST, others), lang, detected, live)
            )
        answers = [self._besides(a, set(found) - {a.id}) for a in answers]
        parts = tuple(replace(a, part=i) for i, a in enumerate(answers[1:], start=1))
        return replace(answers[0], parts=parts)

    def title(self, answer: Answer) -> str:
        """The question of an answer's entry in the answer's language ("" for no entry)."""
        entry = self.kb.by_id.get(answer.id) if answer.id else None
        return self.localizer.question(entry, answer.language) if entry else ""

    def _phrasing_language(self, match: Match, found: Detection) -> str | None:
        """The language of the phrasing a question is closest to in spelling, when detection
        alone was unsure: "c quoi un fapiao" is too short for the detector, but the French
        phrasing it matches settles it. Taken only when the two agree, or when the spelling
        is nearly the same; None otherwise. Detection undecided between languages the writing
        cannot tell apart ("法人口座 開設", Traditional Chinese or Japanese) takes the hint
        when it is one of them, and nothing else."""
        best = match.best
        floor = HINT_LEXICAL_UNDECIDED if found.undecided else HINT_LEXICAL
        if best is None or best.lexical < floor or not best.lexical_language:
            return None
        hint = best.lexical_language
        if hint not in self.detector.supported:
            return None
        if found.undecided:
            return hint if hint in found.undecided else None
        if hint == found.language or (best.lexical >= HINT_LEXICAL_ALONE and found.language):
            return hint
        return None

    @staticmethod
    def _continued(ongoing: str, hinted: str | None, found: Detection, chosen: str) -> str:
        """The language to answer an unsure message in, in a conversation answered in
        `ongoing` so far: still that one, unless the detector's guess and the phrasing the
        message is spelled like (`hinted`, _phrasing_language) agree on another ("c quoi un
        fapiao" after English: French), so that one loanword ("fapiao", "WFOE", "visa?")
        or "ok thanks" does not turn a Chinese, Russian or Arabic conversation into an
        English one. Between languages the writing cannot tell apart (Chinese or Japanese
        for a message in Han characters alone), the ongoing one when it is one of them,
        else the phrasing's, else `chosen` (LanguageDetector.choose). Only messages in Latin
        letters are unsure in practice: other scripts name their language."""
        if found.undecided:
            return ongoing if ongoing in found.undecided else (hinted or chosen)
        if hinted is not None and hinted == found.language:
            return hinted
        return ongoing

    def _matched(
        self,
        question: str,
        match: Match,
        lang: str,
        detected: str | None,
        live: bool,
        elsewhere: bool = False,
    ) -> Answer:
        """`elsewhere`: the suggestions are offered "if you meant China" (_elsewhere)."""
        say = self.localizer.message
        best = match.best
        if match.status == ANSWERED and best is not None:
            nearest = match.nearest.entry_id if match.nearest else None
            return self._entry_answer(
                question, lang, detected, self.kb.by_id[best.entry_id], best.score, live, nearest
            )
        if match.status == SUGGEST and best is not None:
            suggestions = tuple(
                Suggestion(
                    c.entry_id, self.localizer.question(self.kb.by_id[c.entry_id], lang), c.score
                )
                for c in match.candidates
            )
            lines = [say(lang, "elsewhere_suggest" if elsewhere else "did_you_mean")]
            lines += [f"{i}. {s.question}" for i, s in enumerate(suggestions, 1)]
            lines.append(f"{NONE_CHOICE}. {say(lang, 'none_of_these')}")
            lines.append(say(lang, "choose_one"))
            return Answer(
                question,
                lang,
                detected,
                SUGGEST,
                None,
                best.score,
                None,
                None,
                suggestions,
                "\n".join(lines),
            )
        return Answer(
            question,
            lang,
            detected,
            UNANSWERED,
            None,
            None,
            None,
            None,
            (),
            say(lang, "unanswered"),
        )

    def body(self, answer: Answer) -> str:
        """What an adapter shows under an answer's title: its notice (the message was cut
        short), its notes (no translation yet, machine-translated) and the entry's text."""
        return "\n\n".join(
            [*([answer.notice] if answer.notice else []), *self.notes(answer), answer.answer or ""]
        )

    def notes(self, answer: Answer) -> list[str]:
        """The one-line notes that go with an answer's text, in the user's language."""
        if answer.text_source == SOURCE:
            name = messages.language_name(self.kb.language, answer.language)
            key = "translation_updating" if answer.translation_stale else "no_translation"
            return [self.localizer.message(answer.language, key, source=name)]
        if answer.text_source == MACHINE and self.config.translation.show_marker:
            return [self.localizer.message(answer.language, "machine_translated")]
        return []

    def _entry_answer(
        self,
        question: str,
        lang: str,
        detected: str | None,
        entry: FaqEntry,
        score: float | None,
        live: bool = False,
        nearest: str | None = None,
    ) -> Answer:
        """`nearest`: the entry ranked next, offered first under "See also" (Match.nearest)."""
        chosen = self.localizer.answer(entry, lang, live)
        text = chosen.text
        if chosen.stale is not None:  # current source first, the old translation marked
            text += "\n\n" + self.localizer.message(lang, "previous_translation")
            text += "\n" + chosen.stale
        answer = Answer(
            question,
            lang,
            detected,
            ANSWERED,
            entry.id,
            score,
            text,
            chosen.source,
            (),
            "",
            links=self.localizer.links(entry, lang),
            translation_stale=chosen.stale is not None,
            topic=self.localizer.topic(self.topics[entry.topic], lang)
            if entry.topic in self.topics
            else "",
            related=self._related(entry.id, lang, nearest=nearest),
            nearest=nearest,
        )
        return self._with_reply(answer)

    def _related(
        self,
        entry_id: str,
        lang: str,
        besides: Collection[str] = (),
        nearest: str | None = None,
    ) -> tuple[Suggestion, ...]:
        """The entries offered under "See also" with an entry's answer: the entry ranked next
        to it, when the question is close enough to that one to offer it (`nearest`:
        Match.nearest, `see_also_nearest`), then those staff linked to it (either way); at
        most MAX_RELATED, without `besides` (answered beside it)."""
        linked = self.related.get(entry_id, [])
        ids = [*([nearest] if nearest else []), *(i for i in linked if i != nearest)]
        return tuple(
            Suggestion(i, self.localizer.question(self.kb.by_id[i], lang), 0.0)
            for i in [i for i in ids if i not in besides][:MAX_RELATED]
        )

    def _besides(self, answer: Answer, answered: Collection[str]) -> Answer:
        """An entry's `answer` given together with the answers of `answered`: none of those
        is offered under its "See also"; the entries staff linked to it fill the places."""
        if answer.id is None or not any(r.id in answered for r in answer.related):
            return answer
        nearest = answer.nearest if answer.nearest not in answered else None
        related = self._related(answer.id, answer.language, answered, nearest)
        return self._with_reply(replace(answer, related=related, nearest=nearest))

    def _with_reply(self, answer: Answer) -> Answer:
        """An entry's answer with the reply the user reads: the notes, the text, its sources
        and "See also"."""
        say = self.localizer.message
        parts = [*self.notes(answer), answer.answer or ""]
        if answer.links:
            parts.append(
                say(answer.language, "sources")
                + "\n"
                + "\n".join(
                    f"- {link.title}: {link.url}" if link.title != link.url else f"- {link.url}"
                    for link in answer.links
                )
            )
        if answer.related:
            parts.append(
                say(answer.language, "see_also")
                + "\n"
                + "\n".join(f"- {r.question}" for r in answer.related)
            )
        return replace(answer, reply="\n\n".join(parts))


# Abbreviations whose full stop does not end a sentence ("inkl. Steuerprüfung", "e.g. a WFOE").
ABBREVIATIONS = frozenset(
    "e.g i.e etc vs approx incl no nr co ltd inc dr mr mrs ms st cf z.b inkl bzw ca usw evtl "
    "ggf u.a d.h p.ex env aprox p.ej sr sra ecc".split()
)


def with_notice(notice: str, text: str) -> str:
    """`text` with the answer's notice (Answer.notice) before it, when there is one."""
    return f"{notice}\n\n{text}" if notice and text else notice or text


def split_sentences(text: str) -> list[str]:
    """The sentences of a message long enough to be asked on their own, in order."""
    pieces: list[str] = []
    for piece in SENTENCE_END.split(text):
        last = pieces[-1].rsplit(None, 1)[-1] if pieces and pieces[-1].strip() else ""
        if last.endswith(".") and last.rstrip(".").lower() in ABBREVIATIONS:
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p.strip() for p in pieces if _long_enough(p.strip())]


def _long_enough(sentence: str) -> bool:
    """Long enough to be asked on its own: MIN_PART_CHARS, a CJK, kana or Hangul character
    counting three (什么是发票？ is a question, "Hi!" is not)."""
    return sum(3 if ord(ch) >= 0x2E80 else 1 for ch in sentence) >= MIN_PART_CHARS


def chosen_suggestion(text: str, suggestion_ids: Sequence[str]) -> str | None:
    """The entry id that a typed number ("2", full-width "２", Arabic-Indic "٢") picks from a
    "did you mean" list, or None when `text` is not the number of one of them."""
    text = text.strip().rstrip(".)")
    if not text.isdecimal():
        return None
    number = int(text)
    return suggestion_ids[number - 1] if 1 <= number <= len(suggestion_ids) else None


def none_chosen(text: str) -> bool:
    """Whether `text` is the "none of these" choice of a "did you mean" list (its number,
    0 in any script, shown with the list)."""
    text = text.strip().rstrip(".)")
    return text.isdecimal() and int(text) == int(NONE_CHOICE)


def machine_translator(config: Config) -> MachineTranslator | None:
    """The Argos translator when models are installed (importing Argos costs time)."""
    folder = config.translation.packages_dir
    if not folder.is_dir() or not any(folder.glob("*/metadata.json")):
        return None
    return MachineTranslator(folder, config.translation.beam_size, config.translation.threads)


def glossary_key(kb_dir: Path) -> str:
    """A short hash of knowledge/glossary.yaml ("" without one), part of the cache key."""
    path = Path(kb_dir) / "glossary.yaml"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""


def load_glossary(kb_dir: Path) -> Glossary | None:
    """knowledge/glossary.yaml, if there is one; its problems are knowledge-base problems."""
    path = kb_dir / "glossary.yaml"
    if not path.is_file():
        return None
    try:
        return Glossary.load(path)
    except GlossaryError as exc:
        raise KnowledgeError(exc.problems) from exc


def build_answerer(
    config: Config,
    kb_dir: Path | None = None,
    storage=None,
    translator: MachineTranslator | None = None,
    *,
    encoder: Encoder | None = None,
    previous: Answerer | None = None,
    defer_second: bool = False,
) -> Answerer:
    """Load the knowledge base (raises KnowledgeError) and everything computed from it.

    `storage` holds the cached machine translations that are served and matched against;
    `translator` and `encoder` are loaded when not given (a reload passes the running ones).
    `previous`: the answerer this one replaces (a reload after an edit): its encoders, the
    embeddings of unchanged phrasings and its classifier layers are reused, so that an edit
    is live in seconds.
    `defer_second`: on a first start, answer with the first encoder alone rather than wait
    minutes for the second to embed the knowledge base (see Matcher; bot/warmup.py brings
    it in from the background). For long-running modes, never for a one-off `ask`.
    """
    folder = kb_dir or config.knowledge.dir
    kb = load_knowledge(folder, config.knowledge.language, config.knowledge.cache_dir)
    glossary = load_glossary(Path(folder))
    translator = translator or machine_translator(config)
    localizer = Localizer(
        kb,
        config.translation,
        translator,
        storage,
        glossary,
        config.languages.supported,
        glossary_key(Path(folder)),
    )
    old = previous.matcher if previous is not None else None
    encoder = encoder or (old.encoder if old is not None else Encoder())
    second: E5Encoder | None
    running = (old.second or old.second_pending) if old is not None else None
    if running is not None and config.matching.second_encoder != "none":
        second = running
    else:
        second = second_encoder(config.matching.second_encoder, config.matching.second_threads)
    matcher = Matcher(
        kb,
        config.matching,
        encoder,
        config.knowledge.cache_dir,
        localizer.machine_phrasings(),
        second=second,
        previous=old,
        offtopic=load_offtopic(Path(folder), LANGUAGE_CODES),
        defer_second=defer_second,
    )
    detector = LanguageDetector(config.languages.supported)
    answerer = Answerer(kb, matcher, detector, config, localizer)
    answerer.ask("warm-up: load the models now, not on the first user's question")
    return answerer


def reload_answerer(current: Answerer, config: Config, storage=None) -> Answerer:
    """The knowledge base as it is now on disk, built as at start-up (same storage, so the
    cached machine translations and phrasings stay), reusing the running encoder and
    translator; models installed since are picked up. Raises KnowledgeError. While the
    second encoder is still being prepared in the background, the reload goes on without it
    (the background thread brings it in when ready)."""
    return build_answerer(
        config,
        None,
        storage,
        current.localizer.translator,
        encoder=current.matcher.encoder,
        previous=current,
        defer_second=current.matcher.second_pending is not None,
    )
