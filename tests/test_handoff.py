"""Handoff state and replies to askers: the core, over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.delivery import Deliveries
from bot.handoff import (
    ANSWERED,
    CLAIMED,
    CLOSED,
    NEW,
    Actor,
    AlreadyRepliedError,
    ClosedError,
    Desk,
    HandoffError,
    HandoffStore,
    HeldError,
    UnknownHandoffError,
)
from bot.handoffmodel import NOT_CONNECTED
from bot.storage import NONE_OF_THESE, Storage
from tests.web_support import Clock

SAM, MIA = Actor("sam", "Sam"), Actor("mia", "Mia")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def storage(tmp_path, clock):
    with Storage(tmp_path / "bot.db", b"k" * 32, clock=clock) as opened:
        yield opened


@pytest.fixture
def store(storage, clock):
    opened = HandoffStore(storage.path, clock=clock)
    yield opened
    opened.close()


class Recorder:
    """A channel's sender at the edge: records what it was asked to send."""

    def __init__(self, result: bool = True):
        self.sent: list[tuple[dict, str]] = []
        self.result = result

    async def __call__(self, row: dict, text: str) -> bool:
        self.sent.append((row, text))
        return self.result


def ask(storage, question, user, language="en", channel="telegram", **kwargs):
    storage.log_interaction(
        user_id=user,
        chat_type="private",
        language=language,
        question=question,
        status="unanswered",
        channel=channel,
        chat_id=user,
        **kwargs,
    )
    return storage.list_unanswered(status=None, newest_first=True, limit=1)[0]["id"]


def audit(store):
    return list(store.db.query("SELECT actor, action, target, before, after FROM audit"))


def test_every_new_question_becomes_one_new_handoff(storage, store):
    first = ask(storage, "Where do I park?", 1)
    other = ask(storage, "Nothing fits", 2, "ru", kind=NONE_OF_THESE)
    # The web chat queues a visitor's "talk to a person" message as a question of this kind.
    person = ask(storage, "A person please", 3, "de", channel="terminal", kind="staff_message")
    assert store.sync() == 3
    assert store.sync() == 0  # once
    handoffs = store.find()
    assert [(h.unanswered_id, h.kind, h.state, h.language) for h in handoffs] == [
        (person, "staff_message", NEW, "de"),
        (other, "none_of_these", NEW, "ru"),
        (first, "question", NEW, "en"),
    ]
    assert handoffs[2].question == "Where do I park?"
    assert store.counts() == {NEW: 3, CLAIMED: 0, ANSWERED: 0, CLOSED: 0}


def test_a_claim_holds_off_everyone_else_until_taken_over(storage, store):
    ask(storage, "Where do I park?", 1)
    store.sync()
    [handoff] = store.find()
    claimed = store.claim(handoff.id, SAM)
    assert (claimed.state, claimed.holder, claimed.holder_name) == (CLAIMED, "sam", "Sam")
    assert store.claim(handoff.id, SAM) == claimed  # again: nothing changes
    with pytest.raises(HeldError, match="claimed by Sam"):
        store.claim(handoff.id, MIA)
    with pytest.raises(HeldError):
        store.close_handoff(handoff.id, MIA)
    assert store.get(handoff.id) == claimed
    taken = store.claim(handoff.id, MIA, takeover=True)
    assert (taken.state, taken.holder) == (CLAIMED, "mia")
    closed = store.close_handoff(handoff.id, MIA)
    assert (closed.state, closed.holder, closed.done_by) == (CLOSED, None, "Mia")
    rows = audit(store)
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("sam", "handoff.claim"),
        ("mia", "handoff.takeover"),
        ("mia", "handoff.close"),
    ]
    assert {r["target"] for r in rows} == {f"handoff:{handoff.id}"}
    assert json.loads(rows[1]["after"]) == {
        "state": CLAIMED,
        "holder": "mia",
        "taken_over_from": "sam",
    }
    assert [r["action"] for r in store.history(handoff.id)] == [r["action"] for r in rows]


def test_a_closed_handoff_is_claimed_only_by_reopening_it_and_audited_so(storage, store):
    """A claim on a closed handoff reopened it silently, audited as a plain claim. Now a
    claim is refused (nothing changed) unless it says it reopens, and the audit says so."""
    ask(storage, "Where do I park?", 1)
    store.sync()
    [handoff] = store.find()
    store.close_handoff(handoff.id, MIA)
    with pytest.raises(ClosedError, match="closed by Mia: reopen it"):
        store.claim(handoff.id, SAM)
    assert store.get(handoff.id).state == CLOSED
    reopened = store.claim(handoff.id, SAM, reopen=True)
    assert (reopened.state, reopened.holder, reopened.holder_name) == (CLAIMED, "sam", "Sam")
    rows = audit(store)
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("mia", "handoff.close"),
        ("sam", "handoff.reopen"),
    ]
    assert json.loads(rows[1]["before"]) == {"state": CLOSED, "holder": None}
    assert json.loads(rows[1]["after"]) == {"state": CLAIMED, "holder": "sam"}
    assert store.claim(handoff.id, SAM, reopen=True) == reopened  # again: nothing changes
    assert len(audit(store)) == 2


def test_a_claim_read_before_a_close_does_not_reopen_it(storage, store, monkeypatch):
    """A claim whose first look found the handoff open, closed by someone else before the
    claim was written, is refused in the writing transaction: nothing written."""
    ask(storage, "Where do I park?", 1)
    store.sync()
    [handoff] = store.find()
    store.close_handoff(handoff.id, MIA)
    monkeypatch.setattr(store, "get", lambda handoff_id: handoff)  # the open one, read before
    with pytest.raises(ClosedError):
        store.claim(handoff.id, SAM)
    monkeypatch.undo()
    assert store.get(handoff.id).state == CLOSED
    assert [r["action"] for r in audit(store)] == ["handoff.close"]


def test_unknown_handoff(store):
    with pytest.raises(UnknownHandoffError):
        store.claim(99, SAM)


def test_questions_settled_in_the_inbox_close_their_unclaimed_handoffs(storage, store):
    ignored, held = ask(storage, "spam spam", 1), ask(storage, "Where do I park?", 2)
    store.sync()
    store.claim(store.for_questions([held])[0].id, SAM)
    storage.set_unanswered_status([ignored, held], "ignored")
    store.sync()
    states = {h.unanswered_id: (h.state, h.done_by) for h in store.find()}
    assert states == {ignored: (CLOSED, "inbox"), held: (CLAIMED, None)}


def test_forgetting_the_asker_forgets_their_handoffs(storage, store):
    ask(storage, "Where do I park?", 1)
    ask(storage, "Where do I eat?", 2)
    store.sync()
    storage.forget(1)
    store.sync()
    assert [h.question for h in store.find()] == ["Where do I eat?"]


def test_a_relayed_staff_message_is_its_own_handoff(storage, store):
    storage.save_relay(
        staff_chat_id=-5, staff_message_id=10, user_chat_id=42, user_id=42,
        language="fr", question="Je veux parler à quelqu'un",
    )  # fmt: skip
    made = store.open_relay(kind="staff_message", staff_chat_id=-5, staff_message_id=10)
    assert store.open_relay(kind="staff_message", staff_chat_id=-5, staff_message_id=10) == made
    assert store.for_relay(-5, 10).id == made
    handoff = store.get(made)
    assert (handoff.kind, handoff.language, handoff.question) == (
        "staff_message",
        "fr",
        "Je veux parler à quelqu'un",
    )
    assert store.staff_messages([made]) == [(-5, 10)]


def test_a_relay_of_a_queued_question_shows_that_questions_handoff(storage, store):
    uid = ask(storage, "Where do I park?", 1)
    storage.relay_unanswered(staff_chat_id=-5, staff_message_id=11, unanswered_id=uid)
    storage.save_relay(
        staff_chat_id=-5, staff_message_id=12, user_chat_id=1, user_id=1,
        language="en", question="Where do I park?", item=2,
    )  # fmt: skip
    handoff = store.for_relay(-5, 11)
    assert handoff.unanswered_id == uid
    assert store.for_relay(-5, 12, 2).id == handoff.id
    assert store.for_relay(-5, 99) is None  # no such relay
    assert store.staff_messages([handoff.id]) == [(-5, 11), (-5, 12)]
    assert [(item, h.id) for item, h in store.in_message(-5, 12)] == [(2, handoff.id)]


def desk_of(store, translate=None):
    deliveries = Deliveries()
    telegram, web = Recorder(), Recorder(result=False)
    deliveries.register("telegram", telegram)
    deliveries.register("web", web)
    return Desk(store, deliveries, kb_language="en", translate=translate), telegram


def translate(text, source, target):
    return f"[{source}>{target}] {text}"


async def test_a_reply_reaches_every_asker_in_their_language_and_is_recorded(storage, store):
    ids = [ask(storage, "Where do I park?", 1), ask(storage, "Где парковка?", 2, "ru")]
    terminal = ask(storage, "parking?", 3, channel="terminal")
    handoffs = store.for_questions([*ids, terminal])
    desk, telegram = desk_of(store, translate)
    changed: list[list[int]] = []

    async def watcher(handoff_ids):
        changed.append(handoff_ids)

    desk.watch(watcher)
    result = await desk.reply([h.id for h in handoffs], "Level -2.", SAM, via="console")
    assert [(row["id"], row["language"], text) for row, text in telegram.sent] == [
        (ids[0], "en", "Level -2."),
        (ids[1], "ru", "[en>ru] Level -2."),
    ]
    assert telegram.sent[1][0]["original_text"] == "Level -2."
    assert (result.delivered, result.failed) == (2, 1)
    failed = next(d for d in result.deliveries if not d.delivered)
    assert failed.channel == "terminal" and failed.error == NOT_CONNECTED
    assert changed == [[h.id for h in handoffs]]
    english, russian, unreached = store.get_many(h.id for h in handoffs)
    for handoff in (english, russian):
        assert (handoff.state, handoff.holder, handoff.done_by) == (ANSWERED, "sam", "Sam")
    # the terminal asker was not reached: their question still waits, marked
    assert (unreached.state, unreached.holder, unreached.undelivered) == (NEW, None, True)
    [recorded] = store.replies(handoffs[1].id)
    assert (recorded["actor"], recorded["via"], recorded["text"]) == ("sam", "console", "Level -2.")
    assert (recorded["language"], recorded["delivered"]) == ("ru", 1)
    # one audit row per asker, the one it did not reach too (sent, not delivered)
    rows = [(r["action"], json.loads(r["after"])["delivered"]) for r in audit(store)]
    assert sorted(rows) == [("handoff.reply", False), *[("handoff.reply", True)] * 2]


async def test_a_reply_no_model_translates_is_recorded_in_the_language_it_went_in(storage, store):
    """No model for Russian: the reply went in English but was recorded as Russian, and
    staff read "Delivered: yes (ru)". Now the language it went in is recorded, and the
    desk says beforehand which language a reply goes in."""
    [handoff] = store.for_questions([ask(storage, "Где парковка?", 2, "ru")])
    deliveries = Deliveries()
    telegram = Recorder()
    deliveries.register("telegram", telegram)
    desk = Desk(
        store,
        deliveries,
        kb_language="en",
        translate=lambda text, source, target: None,  # what MachineTranslator says then
        covers=lambda source, target: False,
    )
    assert (desk.sent_in("ru"), desk.sent_in("en"), desk.sent_in(None)) == ("en", "en", "en")
    result = await desk.reply([handoff.id], "Level -2.", SAM, via="console")
    [delivery] = result.deliveries
    assert (delivery.language, delivery.asked_in, delivery.untranslated) == ("en", "ru", True)
    assert result.untranslated() == {"ru": ("en", 1)}
    assert telegram.sent[0][1] == "Level -2." and telegram.sent[0][0]["language"] == "ru"
    assert store.replies(handoff.id)[0]["language"] == "en"
    covered = Desk(
        store, deliveries, kb_language="en", translate=translate, covers=lambda s, t: True
    )
    assert covered.sent_in("ru") == "ru"


async def test_a_reply_to_a_handoff_someone_else_holds_is_refused_and_sends_nothing(storage, store):
    [handoff] = store.for_questions([ask(storage, "Where do I park?", 1)])
    store.claim(handoff.id, MIA)
    desk, telegram = desk_of(store)
    with pytest.raises(HeldError):
        await desk.reply([handoff.id], "Level -2.", SAM, via="console")
    assert telegram.sent == [] and store.replies(handoff.id) == []
    await desk.reply([handoff.id], "Level -2.", SAM, via="console", takeover=True)
    assert store.get(handoff.id).holder == "sam"
    assert audit(store)[-1]["action"] == "handoff.reply"
    assert json.loads(audit(store)[-1]["after"])["taken_over_from"] == "mia"


async def test_a_canned_reply_is_the_entrys_answer_in_the_askers_language(
    storage, store, small_answerer
):
    entry = next(e for e in small_answerer.kb.entries if e.translations)
    lang = next(iter(entry.translations))
    handoffs = store.for_questions([ask(storage, "??", 1, lang), ask(storage, "?!", 2)])
    desk, telegram = desk_of(store)
    await desk.reply(
        [h.id for h in handoffs], "", SAM, via="console", entry_id=entry.id, answerer=small_answerer
    )
    by_lang = {row["language"]: text for row, text in telegram.sent}
    assert by_lang[lang] == small_answerer.answer_entry(entry.id, lang).reply
    assert by_lang["en"] == small_answerer.answer_entry(entry.id, "en").reply
    assert store.replies(handoffs[0].id)[0]["entry_id"] == entry.id
    with pytest.raises(HandoffError, match="no entry"):
        await desk.reply([handoffs[0].id], "", SAM, via="console", entry_id="nope", answerer=None)


async def test_a_reply_to_a_forgotten_asker_is_recorded_as_not_delivered(storage, store):
    storage.save_relay(
        staff_chat_id=-5, staff_message_id=10, user_chat_id=42, user_id=42,
        language="fr", question="Bonjour",
    )  # fmt: skip
    made = store.open_relay(kind="staff_message", staff_chat_id=-5, staff_message_id=10)
    storage.forget(42)
    desk, telegram = desk_of(store)
    result = await desk.reply([made], "Hello", SAM, via="console")
    assert telegram.sent == [] and result.delivered == 0
    assert "gone" in (result.deliveries[0].error or "")


async def test_an_empty_reply_is_refused(storage, store):
    [handoff] = store.for_questions([ask(storage, "Where do I park?", 1)])
    desk, _ = desk_of(store)
    with pytest.raises(HandoffError, match="empty"):
        await desk.reply([handoff.id], "   ", SAM, via="console")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=300).filter(str.strip))
async def test_any_staff_text_is_delivered_and_recorded_as_typed(storage, store, text):
    [handoff] = store.for_questions([ask(storage, "Where do I park?", 1)])
    desk, telegram = desk_of(store)
    telegram.sent.clear()
    result = await desk.reply([handoff.id], text, SAM, via="console")
    assert telegram.sent[0][1] == text.strip()
    replies = store.replies(handoff.id)
    assert replies[-1]["text"] == text.strip() and result.delivered == 1


def test_the_same_reply_sent_from_two_places_at_once_reaches_the_asker_once(storage, store):
    """Two tabs (or processes, each its own connection) send the same reply at the same
    instant: both passed the same-reply check before either recorded its reply, and the
    asker read it twice. The reply is now reserved in the check's transaction."""
    [handoff] = store.for_questions([ask(storage, "Where do I park?", 1)])
    both_sending = threading.Barrier(2, timeout=3)
    sent: list[str] = []

    async def send(row: dict, text: str) -> bool:
        sent.append(text)
        try:  # the old code: both senders got here together
            await asyncio.to_thread(both_sending.wait)
        except threading.BrokenBarrierError:
            pass
        return True

    outcomes: list[object] = []

    def tab(actor: Actor) -> None:
        own = HandoffStore(storage.path, clock=store._clock)
        deliveries = Deliveries()
        deliveries.register("telegram", send)
        desk = Desk(own, deliveries, kb_language="en")
        try:
            reply = desk.reply([handoff.id], "Level -2.", actor, via="console", not_twice=True)
            outcomes.append(asyncio.run(reply))
        except AlreadyRepliedError as exc:
            outcomes.append(exc)
        finally:
            own.close()

    tabs = [threading.Thread(target=tab, args=(who,)) for who in (SAM, MIA)]
    for started in tabs:
        started.start()
    for started in tabs:
        started.join()
    assert sent == ["Level -2."]
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRepliedError", "ReplyResult"]
    [recorded] = store.replies(handoff.id)
    assert recorded["delivered"] == 1 and recorded["error"] is None


async def test_a_reply_whose_sending_failed_or_was_interrupted_may_be_sent_again(storage, store):
    [handoff] = store.for_questions([ask(storage, "Where do I park?", 1)])
    deliveries = Deliveries()
    desk = Desk(store, deliveries, kb_language="en")

    async def unreachable(row: dict, text: str) -> bool:
        return False

    async def interrupted(row: dict, text: str) -> bool:
        raise asyncio.CancelledError

    deliveries.register("telegram", unreachable)
    result = await desk.reply([handoff.id], "Level -2.", SAM, via="console", not_twice=True)
    assert result.delivered == 0
    deliveries.register("telegram", interrupted)
    with pytest.raises(asyncio.CancelledError):
        await desk.reply([handoff.id], "Level -2.", SAM, via="console", not_twice=True)
    assert [r["delivered"] for r in store.replies(handoff.id)] == [0]  # nothing reserved left
    telegram = Recorder()
    deliveries.register("telegram", telegram)
    result = await desk.reply([handoff.id], "Level -2.", SAM, via="console", not_twice=True)
    assert result.delivered == 1 and len(telegram.sent) == 1
    with pytest.raises(AlreadyRepliedError):
        await desk.reply([handoff.id], "Level -2.", SAM, via="console", not_twice=True)


async def test_a_reply_left_being_sent_by_a_stopped_process_holds_off_only_a_while(
    storage, store, clock
):
    [handoff] = store.for_questions([ask(storage, "Where do I park?", 1)])
    [asker] = store.askers([handoff])
    store.reserve_reply(SAM, "console", "Level -2.", [asker], not_twice=True)  # then it died
    desk, telegram = desk_of(store)
    with pytest.raises(AlreadyRepliedError):
        await desk.reply([handoff.id], "Level -2.", MIA, via="console", not_twice=True)
    clock.now += timedelta(minutes=11)
    result = await desk.reply([handoff.id], "Level -2.", MIA, via="console", not_twice=True)
    assert result.delivered == 1 and len(telegram.sent) == 1
