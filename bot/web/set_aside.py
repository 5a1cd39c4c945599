"""What the inbox set aside: the questions staff ignored or marked off-topic, and putting
one back (the Undo after Ignore or Off-topic, or Restore on the list).

Restoring is `bot.triage.restore`: the questions, and the ignored asks of their wording,
are new again; restoring an off-topic one can also take its example out of offtopic.yaml,
and the answerer is reloaded so that the gate no longer holds such questions back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import kbedit, triage
from bot.answering import reload_answerer
from bot.knowledge import LANGUAGE_CODES, KnowledgeError
from bot.normalize import normalize
from bot.offtopic import FILE as OFFTOPIC_FILE
from bot.offtopic import load_offtopic
from bot.storage import IGNORED, UnknownIdError
from bot.web.app import console, flash_query, id_list, requires
from bot.web.views import INBOX_LIMIT, _, _n, nothing_changed

BACK = ("/inbox", "/inbox/set-aside")  # where a restore may lead back to


@dataclass(frozen=True)
class SetAside:
    """One ignored wording: asked `len(ids)` times, last at `time`; `afters`: the questions
    it was a follow-up to ("大概多少钱" after a trademark question), newest first, each once."""

    text: str
    language: str
    time: str
    ids: tuple[int, ...]
    offtopic: bool  # its wording is one of the off-topic examples
    afters: tuple[str, ...] = ()


def set_aside(request: Request) -> list[SetAside]:
    """The ignored questions, newest first, one row per wording."""
    c = console(request)
    rows = c.storage.list_unanswered(status=IGNORED, limit=INBOX_LIMIT, newest_first=True)
    try:
        examples = {
            normalize(p.text) for p in load_offtopic(c.config.knowledge.dir, LANGUAGE_CODES)
        }
    except KnowledgeError:
        examples = set()
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(normalize(row["question"]) or f"#{row['id']}", []).append(row)
    return [
        SetAside(
            group[0]["question"],
            group[0]["language"],
            group[0]["time"],
            tuple(row["id"] for row in group),
            key in examples,
            tuple(dict.fromkeys(row["asked_after"] for row in group if row.get("asked_after"))),
        )
        for key, group in found.items()
    ]


@requires("manager")
async def set_aside_page(request: Request) -> Response:
    """The questions set aside by Ignore or Off-topic, each with a button to restore it."""
    c = console(request)
    rows = await asyncio.to_thread(set_aside, request)
    return c.render(request, "set_aside.html", rows=rows, offtopic_file=OFFTOPIC_FILE)


def _restore(
    request: Request, ids: list[int], unlearn: list[int], undoing: str | None
) -> triage.Restored:
    """Restore, then reload if examples left offtopic.yaml so that the gate forgets them."""
    c = console(request)
    with c.holder.lock:
        done = triage.restore(c.storage, c.config.knowledge.dir, ids, unlearn, undoing=undoing)
        if c.holder.answerer is not None and done.removed:
            c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)
    return done


@requires("staff")
async def restore(request: Request) -> Response:
    """Put set-aside questions back in the inbox (`unlearn`: and their off-topic examples
    out of offtopic.yaml)."""
    c = console(request)
    form = await request.form()
    ids, unlearn = id_list(form.getlist("ids")), id_list(form.getlist("unlearn"))
    back = str(form.get("back", ""))
    back = back if back in BACK else BACK[0]
    undoing = str(form.get("undo", ""))  # the Undo after Ignore or Off-topic: only that

    def to(**texts: str) -> Response:
        return RedirectResponse(f"{back}?{flash_query(**texts)}", status_code=303)

    if not ids:
        return to(error=_(request, "Choose the questions to restore."))
    before = c.storage.list_unanswered(status=None, ids=ids)
    try:
        done = await asyncio.to_thread(
            _restore, request, ids, unlearn, undoing if undoing in triage.UNDOABLE else None
        )
    except triage.ChangedSinceError:
        return to(
            error=_(
                request,
                "These questions were put back and set aside again since this Undo was offered, so it no longer fits; nothing changed. To put them back in the inbox, use Restore on the Set aside page.",  # noqa: E501 (one catalog key)
            )
        )
    except UnknownIdError as exc:
        return to(error=nothing_changed(request, exc))
    except (OSError, kbedit.EditError) as exc:
        if getattr(exc, "code", ""):  # offtopic.yaml changed meanwhile, say: in plain words
            return to(error=nothing_changed(request, exc))
        problem = _(
            request, "{file} could not be written: {problem}.", file=OFFTOPIC_FILE, problem=exc
        )
        return to(error=problem + " " + _(request, "Nothing changed."))
    if not done.changed and not done.removed:  # restored elsewhere already: nothing to audit
        return to(
            message=_(request, "These questions were already back in the inbox; nothing changed.")
        )
    c.accounts.audit(
        request.state.session.name,
        "unanswered.restore",
        " ".join(map(str, ids)),
        [{"id": row["id"], "status": row["status"]} for row in before],
        {
            "status": "new",
            "changed": done.changed,
            "offtopic_examples_removed": [text for _lang, text in done.removed],
        },
    )
    if done.changed:
        message = _n(
            request,
            "Put {n} question back in the inbox.",
            "Put {n} questions back in the inbox.",
            done.changed,
        )
    else:  # only their examples taken out
        message = _(request, "These questions were already back in the inbox.")
    if done.removed:
        message += " " + _n(
            request,
            "{n} example taken out of {file}, and the knowledge base is reloaded: such questions are no longer held back.",  # noqa: E501 (one catalog key)
            "{n} examples taken out of {file}, and the knowledge base is reloaded: such questions are no longer held back.",  # noqa: E501 (one catalog key)
            len(done.removed),
            file=OFFTOPIC_FILE,
        )
    return to(message=message)


def routes() -> list[Route]:
    return [
        Route("/inbox/set-aside", set_aside_page),
        Route("/inbox/restore", restore, methods=["POST"]),
    ]
