"""The audit log page, for managers: who did what, when, to which entry, question or handoff,
in words; filtered by who, what and period. The raw before/after JSON stays one click away.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.app import console, requires
from bot.web.views import _

# Each action in words (catalog keys), and the group the "what" filter offers it under.
ACTIONS = {
    "entry.edit": "edited an entry",
    "entry.new": "created an entry",
    "entry.rollback": "rolled an entry back",
    "entry.move": "moved an entry",
    "entry.delete": "deleted an entry",
    "translation.save": "saved a translation",
    "translation.topic": "named a topic",
    "unanswered.attach": "added questions to an entry",
    "unanswered.ignore": "ignored questions",
    "unanswered.offtopic": "marked questions off-topic",
    "unanswered.restore": "put questions back in the inbox",
    "handoff.claim": "claimed a conversation",
    "handoff.takeover": "took over a conversation",
    "handoff.reopen": "reopened a conversation",
    "handoff.reply": "replied to a user",
    "handoff.close": "closed a conversation",
    "choices.accept": "added wordings users chose",
    "choices.dismiss": "set aside wordings users chose",
    "staff.add": "added a staff account",
    "staff.remove": "removed a staff account",
    "staff.password": "set a password",
}
KINDS = {  # the "what" filter: its choices, and the action prefixes each covers
    "entries": ("Entries", ("entry.",)),
    "translations": ("Translations", ("translation.",)),
    "questions": ("Questions in the inbox", ("unanswered.", "choices.")),
    "handoffs": ("Handoffs", ("handoff.",)),
    "accounts": ("Staff accounts", ("staff.",)),
}
PERIODS = {"1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days"}
# The fields audit rows record (the `after`/`before` of every `audit(...)` call: bot/accounts.py,
# bot/handoffstore.py, bot/triage.py, bot/choices.py, bot/web/entries_edit.py, translations.py,
# set_aside.py), in words (catalog keys); a field missing here is shown as recorded.
FIELDS = {
    "state": "state",
    "status": "status",
    "holder": "holder",
    "taken_over_from": "taken over from",
    "question": "inbox question",
    "version": "version",
    "file": "topic file",
    "changed": "questions changed",
    "entry": "entry",
    "phrasings_added": "phrasings added",
    "offtopic_examples_added": "off-topic examples added",
    "offtopic_examples_removed": "off-topic examples removed",
    "resolved": "questions resolved",
    "questions": "inbox questions",
    "added": "wordings added",
    "already_there": "wordings already there",
    "ids": "chosen wordings",
    "role": "role",
    "by": "set by",
    "source": "made from text version",
    "reviewed": "reviewed on",
    "alternates": "phrasings",
    "restored": "restored from version",
    "side": "restored text",
    "moved_from": "moved from",
    "unlinked": "no longer named as related by",
    "unlinked_from": "related entry removed",
    "reply": "reply number",
    "send": "sending",
    "delivered": "delivered",
}
STATE_FIELDS = ("state", "status", "question")
STATE_WORDS = {
    "new": "new",
    "claimed": "claimed",
    "answered": "answered",
    "closed": "closed",
    "ignored": "ignored",
    "offtopic": "off-topic",
    "resolved": "resolved",
    "current": "up to date",
    "stale": "out of date",
    "missing": "missing",
}
# The values of other fields that are words, not names or numbers (catalog keys).
VALUE_WORDS = {
    "side": {"before": "before that change", "after": "after that change"},
    "by": {"self": "themselves"},
    "role": {"manager": "manager", "staff": "staff"},
}
# Who did it, when it was the bot itself (bot/handoffstore.py `sync`: a handoff closed
# because its question was dealt with in the inbox).
SYSTEM_ACTORS = {"inbox": "automatic (inbox)"}


@dataclass(frozen=True)
class Row:
    time: str  # as stored (UTC); the template shows it with the console's `when`
    actor: str
    action: str  # in words
    code: str  # the action's code, as stored (and in the CSV)
    target: str
    href: str
    changes: list[str]
    before: str
    after: str


def _target(request: Request, action: str, target: str, before: Any) -> tuple[str, str]:
    """What the action was done to, in words ("handoff #14", "question #11": the numbers
    of the handoff and inbox pages, which count apart), and the page that shows it."""
    if action.startswith("entry.") or action in ("unanswered.attach", "choices.accept"):
        first = target.split()[0] if target else ""
        return target, f"/entries/{first}" if first else ""
    if action.startswith("translation.save") and ":" in target:
        entry_id, lang = target.rsplit(":", 1)
        return f"{entry_id} ({lang})", f"/translations?lang={lang}"
    if action.startswith("handoff.") and target.startswith("handoff:"):
        number = target.split(":", 1)[1]
        return _(request, "handoff #{n}", n=number), f"/handoffs/{number}"
    if action.startswith("unanswered."):
        ids = [str(item["id"]) for item in before if isinstance(item, dict) and "id" in item]
        ids = ids if isinstance(before, list) and ids else target.split()
        place = "/inbox" if action == "unanswered.restore" else "/inbox/set-aside"
        return ", ".join(_(request, "question #{n}", n=i) for i in ids), place
    return target, ""


def _shown(value: Any, say: Callable[[str], str] = str) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        return ", ".join(_shown(v, say) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{_field(k, say)} {_said(k, v, say)}" for k, v in value.items())
    if isinstance(value, bool):  # a reply delivered or not
        return say("yes") if value else say("no")
    return str(value)


def _field(key: str, say: Callable[[str], str]) -> str:
    return say(FIELDS[key]) if key in FIELDS else key


def _said(key: str, value: Any, say: Callable[[str], str]) -> str:
    """A field's value in words: a state (`closed`) said in the reader's language."""
    if key in STATE_FIELDS and isinstance(value, str) and value in STATE_WORDS:
        return say(STATE_WORDS[value])
    words = VALUE_WORDS.get(key, {})
    if isinstance(value, str) and value in words:
        return say(words[value])
    return _shown(value, say)


def changes(before: Any, after: Any, say: Callable[[str], str] = str) -> list[str]:
    """What changed, one line per field: "state: new → answered"; a list of questions as
    "#3: new → ignored". `say` puts the words of known fields and states in the reader's
    language."""

    def field(key: str) -> str:
        return _field(key, say)

    if isinstance(after, list):  # what was done to each (wordings added to entries)
        return [_shown(item, say) for item in after]
    if isinstance(before, list) and all(isinstance(b, dict) and "id" in b for b in before):
        status = after.get("status") if isinstance(after, dict) else None
        lines = [
            f"#{b['id']}: {_said('status', b.get('status'), say)} → {_said('status', status, say)}"
            for b in before
        ]
        more = {k: v for k, v in after.items() if k != "status"} if isinstance(after, dict) else {}
        return lines + [f"{field(k)}: {_said(k, v, say)}" for k, v in more.items()]
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    lines = []
    for key in [*old, *(k for k in new if k not in old)]:
        if old.get(key) != new.get(key):
            lines.append(
                f"{field(key)}: {_said(key, old.get(key), say)} → {_said(key, new.get(key), say)}"
                if key in old
                else f"{field(key)}: {_said(key, new.get(key), say)}"
            )
    return lines


def _loaded(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def actor_name(request: Request, actor: str) -> str:
    """Who did it, as staff read it: the bot's own actions said as such."""
    return _(request, SYSTEM_ACTORS[actor]) if actor in SYSTEM_ACTORS else actor


def audit_row(request: Request, row: dict) -> Row:
    """An audit record (time, actor, action, target, before, after) as the console shows it
    (the audit log, a handoff's history): in words, with what changed and the raw record."""
    before, after = _loaded(row["before"]), _loaded(row["after"])
    target, href = _target(request, row["action"], row["target"] or "", before)
    words = ACTIONS.get(row["action"])
    return Row(
        time=str(row["time"]),
        actor=actor_name(request, row["actor"]),
        action=_(request, words) if words else row["action"],
        code=row["action"],
        target=target,
        href=href,
        changes=changes(before, after, lambda text: _(request, text)),
        before=row["before"] or "",
        after=row["after"] or "",
    )


@requires("manager")
async def audit(request: Request) -> Response:
    """The latest changes made in the console, by `staff` commands and in the staff chat,
    filtered by who (`who`), what (`what`: a KINDS key) and period (`days`)."""
    c = console(request)
    who = request.query_params.get("who") or None
    what = request.query_params.get("what", "")
    days = request.query_params.get("days", "")
    since = c.accounts.now() - timedelta(days=int(days)) if days in PERIODS else None
    rows = c.accounts.audit_log(
        actor=who, kinds=KINDS[what][1] if what in KINDS else (), since=since
    )
    return c.render(
        request,
        "audit.html",
        rows=[audit_row(request, row) for row in rows],
        actors={name: actor_name(request, name) for name in c.accounts.audit_actors()},
        kinds={key: label for key, (label, _prefixes) in KINDS.items()},
        periods=PERIODS,
        chosen={"who": who or "", "what": what, "days": days},
        filtered=bool(who or what in KINDS or since),
    )


def routes() -> list[Route]:
    return [Route("/audit", audit)]
