"""Shared fixtures: real knowledge bases on disk, one real encoder for the session."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering import Answer, Answerer
from bot.config import Config, load_config
from bot.encoder import Encoder, e5_unavailable
from bot.knowledge import LANGUAGE_CODES, load_knowledge
from bot.language import LanguageDetector
from bot.matching import Matcher
from bot.offtopic import load_offtopic

# The second encoder (e5, ~25 ms a question and ~45 phrasings a second to embed) would make
# every test that builds the bot from config.toml with a fresh cache slow; tests that are
# about it ask for it (tests/test_encoder.py, tests/test_matching.py, tests/test_cli.py).
os.environ.setdefault("FAQ_BOT_SECOND_ENCODER", "none")

ROOT = Path(__file__).resolve().parent.parent
SMALL_KB = Path(__file__).resolve().parent / "data" / "kb"

# For tests of the second encoder itself: its engine needs x86-64 with AVX2 and FMA.
needs_e5 = pytest.mark.skipif(
    e5_unavailable() is not None, reason="the e5 encoder cannot run on this CPU"
)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder()


@pytest.fixture(scope="session")
def detector() -> LanguageDetector:
    return LanguageDetector(("en", "zh", "ru", "ar", "fr", "es"))


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def small_kb_dir(tmp_path) -> Path:
    """A writable copy of tests/data/kb."""
    return Path(shutil.copytree(SMALL_KB, tmp_path / "kb"))


@pytest.fixture(scope="session")
def config(session_cache) -> Config:
    base = load_config(ROOT / "config.toml", environ={})
    return replace(base, knowledge=replace(base.knowledge, cache_dir=session_cache))


def make_answerer(config: Config, kb_dir: Path, encoder: Encoder, detector) -> Answerer:
    kb = load_knowledge(kb_dir, config.knowledge.language)
    offtopic = load_offtopic(kb_dir, LANGUAGE_CODES)
    matcher = Matcher(kb, config.matching, encoder, config.knowledge.cache_dir, offtopic=offtopic)
    return Answerer(kb, matcher, detector, config)


@pytest.fixture(scope="session")
def small_answerer(config, encoder, detector) -> Answerer:
    return make_answerer(config, SMALL_KB, encoder, detector)


@pytest.fixture(scope="session")
def answerer(config, encoder, detector) -> Answerer:
    """The repository's own knowledge base, as the bot serves it."""
    return make_answerer(config, ROOT / "knowledge", encoder, detector)


# Messages of two questions whose first part is answered and whose second ("How long does it
# take?") keeps a "did you mean" list (Answerer._by_parts). Which of them does so with the
# shipped knowledge base moves a little whenever its layers are trained again, so the tests
# take the first that does.
KEPT_LIST_MESSAGES = (
    "How much does it cost to set up a company? How long does it take?",
    "Can a foreigner set up a company alone? How long does it take?",
    "How do I open a company bank account? How long does it take?",
    "How much is it to set up a company in China? How long does it take?",
)


def kept_list_message(answerer: Answerer) -> tuple[str, Answer]:
    """The first of KEPT_LIST_MESSAGES whose answer ends with a list kept for its uncovered
    sentence, and that answer."""
    for message in KEPT_LIST_MESSAGES:
        answer = answerer.ask(message)
        if answer.status == "answered" and answer.parts and answer.parts[-1].status == "suggest":
            return message, answer
    pytest.fail("no message in KEPT_LIST_MESSAGES keeps a list for its second question")
