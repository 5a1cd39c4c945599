"""Tests for bot/warmup.py: a first start answers at once with the first encoder, and the
second joins from the background without losing a reload made meanwhile."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest

from bot import matching, warmup
from bot.answering import build_answerer, reload_answerer
from tests.conftest import needs_e5


@pytest.fixture
def fused_config(config, tmp_path, small_kb_dir):
    """The small knowledge base with e5 as second encoder and an empty cache; a first start
    with anything to embed is deferred (the small KB has only a few dozen texts)."""
    knowledge = replace(config.knowledge, dir=small_kb_dir, cache_dir=tmp_path / "cache")
    return replace(
        config, knowledge=knowledge, matching=replace(config.matching, second_encoder="e5")
    )


@needs_e5
def test_a_first_start_answers_at_once_and_the_second_encoder_takes_over(fused_config, monkeypatch):
    monkeypatch.setattr(matching, "DEFER_SECOND_AFTER", 0)
    first = build_answerer(fused_config, defer_second=True)
    assert warmup.pending(first) and first.matcher.second is None
    assert first.ask("How do I open a company bank account?").id == "bank-account"
    # USE never read Persian: until e5 is ready, a Persian question is told to come back
    persian = "چطور برای شرکتم حساب بانکی باز کنم؟"
    waiting = first.ask(persian)
    assert waiting.status != "answered" and waiting.detected == "fa"
    assert waiting.reply.startswith(
        "I am still getting ready to read Persian, so I may have misunderstood you. "
        "Ask again in a few minutes, or in English, for a better answer.\n\n"
    )
    # a reload before the second encoder is ready stays fast: still the first alone
    again = reload_answerer(first, fused_config)
    assert warmup.pending(again) and again.matcher.layer2 is None

    serving = [again]
    thread = warmup.start(lambda: serving[0], lambda a: serving.__setitem__(0, a), fused_config)
    assert thread is not None
    thread.join(timeout=300)
    assert not thread.is_alive()
    fused = serving[0]
    assert not warmup.pending(fused) and fused.matcher.second is not None
    assert fused.matcher.layer2 is not None
    assert fused.ask("How do I open a company bank account?").id == "bank-account"
    assert not fused.ask(persian).notice  # e5 reads it
    # the vectors are in the cache: the next start fuses both at once, with nothing deferred
    next_start = build_answerer(fused_config, defer_second=True)
    assert not warmup.pending(next_start) and next_start.matcher.second is not None
    assert warmup.start(lambda: next_start, lambda a: None, fused_config) is None


@needs_e5
def test_a_reload_made_while_the_second_encoder_embeds_is_kept(fused_config, monkeypatch):
    monkeypatch.setattr(matching, "DEFER_SECOND_AFTER", 0)
    serving = [build_answerer(fused_config, defer_second=True)]
    kb_file = fused_config.knowledge.dir / "money.yaml"

    @contextlib.contextmanager
    def reload_lock():
        # Staff attach a wording and reload just before the swap (after the embedding).
        text = kb_file.read_text(encoding="utf-8")
        kb_file.write_text(
            text.replace(
                "      - open corporate bank account\n",
                "      - open corporate bank account\n      - gimme a firm account\n",
            ),
            encoding="utf-8",
        )
        serving[0] = reload_answerer(serving[0], fused_config)
        yield

    assert warmup.complete(
        lambda: serving[0], lambda a: serving.__setitem__(0, a), fused_config, lock=reload_lock()
    )
    fused = serving[0]
    assert fused.matcher.second is not None
    assert "gimme a firm account" in fused.matcher.texts
    assert fused.ask("gimme a firm account").id == "bank-account"


def test_nothing_is_deferred_without_a_second_encoder_or_with_little_to_embed(
    fused_config, monkeypatch
):
    alone = replace(fused_config, matching=replace(fused_config.matching, second_encoder="none"))
    answerer = build_answerer(alone, defer_second=True)
    assert not warmup.pending(answerer)
    assert warmup.start(lambda: answerer, lambda a: None, alone) is None
    assert not warmup.complete(lambda: answerer, lambda a: None, alone)


@needs_e5
def test_telegram_swaps_the_fused_answerer_where_reload_puts_it(fused_config, monkeypatch):
    """`run` on Telegram with the console: the bot's answerer and the console's holder both
    get the fused answerer (the Application's bot_data is all start_second_encoder uses)."""
    import threading
    from types import SimpleNamespace

    from bot.telegram.app import start_second_encoder
    from bot.web.app import AnswererHolder

    monkeypatch.setattr(matching, "DEFER_SECOND_AFTER", 0)
    first = build_answerer(fused_config, defer_second=True)
    holder = AnswererHolder(first)
    app = SimpleNamespace(bot_data={"answerer": first, "holder": holder})
    start_second_encoder(app, fused_config)  # type: ignore[arg-type]
    (thread,) = [t for t in threading.enumerate() if t.name == "second-encoder"]
    thread.join(timeout=300)
    assert holder.answerer is app.bot_data["answerer"] is not first
    assert holder.answerer is not None and holder.answerer.matcher.second is not None


@needs_e5
def test_a_telegram_reload_waits_for_the_warm_up_swap_and_builds_on_it(fused_config, monkeypatch):
    """Without the console: /reload and the warm-up's swap share the Application's reload
    lock, and the reload rebuilds from whatever serves once it has the lock. Unlocked, a
    reload begun before the swap would put back an answerer without the second encoder."""
    import threading

    from bot.telegram import handlers, staff

    monkeypatch.setattr(matching, "DEFER_SECOND_AFTER", 0)
    first = build_answerer(fused_config, defer_second=True)
    bot_data: dict = {"answerer": first}
    lock = handlers.reload_lock(bot_data)
    assert handlers.reload_lock(bot_data) is lock  # one per Application
    done: list = []
    with lock:  # the warm-up is swapping
        reload = threading.Thread(
            target=lambda: done.append(staff._reload_and_swap(bot_data, fused_config, None))
        )
        reload.start()
        reload.join(timeout=2)
        assert not done  # the reload waits for the swap
        bot_data["answerer"] = build_answerer(fused_config)  # what the warm-up puts
    reload.join(timeout=300)
    (reloaded,) = done
    assert bot_data["answerer"] is reloaded
    assert not warmup.pending(reloaded) and reloaded.matcher.second is not None
