"""Matching a question against every phrasing of every entry.

Two signals per entry, both computed against all its phrasings (question, alternates and
curated translations):
- lexical: rapidfuzz over normalised text (see normalize.py), strong when the user writes in
  a language the entry has phrasings in;
- semantic: cosine similarity of multilingual sentence embeddings (encoder.py), which carries
  a question across languages, e.g. Russian against an English-only entry.

Everything about the knowledge base (normalised phrasings, embeddings) is computed when the
matcher is built; a question costs one embedding and two vectorised passes.
The outcome is `answered` (one confident entry), `suggest` (up to N candidates) or
`unanswered`, by the thresholds in `[matching]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from bot.config import MatchingConfig
from bot.encoder import Encoder, cached_embeddings
from bot.knowledge import KnowledgeBase
from bot.normalize import normalize

ANSWERED, SUGGEST, UNANSWERED = "answered", "suggest", "unanswered"
LEXICAL_SCORER = fuzz.token_sort_ratio


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float  # combined, 0..1
    lexical: float  # 0..1
    semantic: float  # cosine, -1..1
    phrasing: str  # the phrasing that matched best


@dataclass(frozen=True)
class Match:
    status: str
    candidates: tuple[Candidate, ...]  # best first; one for `answered`, the suggestions else

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Matcher:
    """Scores questions against a knowledge base; build once per knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: MatchingConfig,
        encoder: Encoder | None = None,
        cache_dir: Path | None = None,
    ):
        self.kb = kb
        self.config = config
        self.encoder = encoder if config.semantic else None
        phrasings = list(kb.phrasings())
        self.texts = [p.text for p in phrasings]
        self.keys = [normalize(t) for t in self.texts]
        owners = [p.entry_id for p in phrasings]
        self.entry_ids = list(dict.fromkeys(owners))
        index = {eid: i for i, eid in enumerate(self.entry_ids)}
        self.owner = np.array([index[o] for o in owners], dtype=np.int64)
        self.embeddings = (
            cached_embeddings(self.encoder, self.texts, cache_dir) if self.encoder else None
        )

    def _per_entry(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best score of each entry over its phrasings, and which phrasing gave it."""
        best = np.full(len(self.entry_ids), -np.inf)
        np.maximum.at(best, self.owner, scores)
        arg = np.zeros(len(self.entry_ids), dtype=np.int64)
        hits = np.flatnonzero(scores >= best[self.owner])
        arg[self.owner[hits[::-1]]] = hits[::-1]
        return best, arg

    def scores(self, question: str) -> list[Candidate]:
        """Every entry with its scores, best first."""
        key = normalize(question[: self.config.max_question_chars])
        if not key or not self.entry_ids:
            return []
        lexical = process.cdist([key], self.keys, scorer=LEXICAL_SCORER, dtype=np.float32)[0]
        lex_best, lex_arg = self._per_entry(lexical.astype(np.float64) / 100.0)
        if self.embeddings is not None:
            vec = self.encoder.encode_one(question[: self.config.max_question_chars])
            semantic = self.embeddings @ vec
            sem_best, sem_arg = self._per_entry(semantic.astype(np.float64))
            combined = np.maximum(sem_best, 0.5 * sem_best + 0.5 * lex_best)
            arg = np.where(sem_best >= lex_best, sem_arg, lex_arg)
        else:
            sem_best = np.zeros_like(lex_best)
            combined, arg = lex_best, lex_arg
        order = np.argsort(-combined, kind="stable")
        return [
            Candidate(
                self.entry_ids[i], round(float(combined[i]), 4), round(float(lex_best[i]), 4),
                round(float(sem_best[i]), 4), self.texts[arg[i]],
            )
            for i in order
        ]

    def match(self, question: str) -> Match:
        ranked = self.scores(question)
        cfg = self.config
        if not ranked or ranked[0].score < cfg.suggest_threshold:
            return Match(UNANSWERED, ())
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best.score >= cfg.answer_threshold and best.score - runner_up >= cfg.answer_margin:
            return Match(ANSWERED, (best,))
        close = [c for c in ranked[: cfg.max_suggestions] if c.score >= cfg.suggest_threshold]
        return Match(SUGGEST, tuple(close))
