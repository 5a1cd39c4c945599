"""Entry pages: edit every field of an entry, its history (diff, rollback), new entries,
moving an entry to another topic and deleting one (restored from its history).

Every save goes through bot/entry_edit.py (validated as `kb check`, written by the round-trip
editor, recorded in the entry history), under the answerer lock, and reloads the answerer so
the change is live; then the askers whose questions it answers are told (`after_reload`).
A form that does not validate comes back with everything typed and the problems listed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import curation, entry_edit, times, triage
from bot.answering import reload_answerer
from bot.entry_history import EntryHistory, Version
from bot.knowledge import KnowledgeBase, KnowledgeError
from bot.storage import UnknownIdError
from bot.web import i18n, kb_problems
from bot.web.app import Console, console, flash_query, id_list, requires
from bot.web.views import _, _n

log = logging.getLogger(__name__)
LONG_ANSWER = 4000  # characters: more than one Telegram message (4,096 with the title)


def _history(request: Request) -> EntryHistory:
    """The entry history store, opened once per app."""
    state = request.app.state
    if getattr(state, "entry_history", None) is None:
        state.entry_history = EntryHistory(console(request).storage.path)
    return state.entry_history


def _kb(c: Console) -> KnowledgeBase | None:
    return c.holder.answerer.kb if c.holder.answerer is not None else None


def _languages(c: Console, values: dict | None = None) -> list[str]:
    """The translation tabs: configured languages, those of the knowledge base and entry."""
    kb = _kb(c)
    found = set(c.config.languages.supported) | set(kb.languages() if kb else ())
    found |= set((values or {}).get("translations") or {})
    return sorted(found - {c.config.knowledge.language})


def _fields_of(form: FormData) -> dict[str, str]:
    return {key: str(value) for key, value in form.items() if key not in ("csrf", "ids")}


def _render(
    request: Request,
    values: dict | None,
    fields: dict[str, str],
    status: int = 200,
    **context: Any,
) -> Response:
    c = console(request)
    kb = _kb(c)
    languages = _languages(c, values)
    translator = c.holder.answerer.localizer.translator if c.holder.answerer else None
    source = c.config.knowledge.language
    drafts = [
        lang for lang in languages if translator is not None and translator.covers(source, lang)
    ]
    states = {lang: entry_edit.translation_state(values or {}, lang) for lang in languages}
    context.setdefault("topics", _topic_titles(request, kb))
    return c.render(
        request,
        "entry_edit.html",
        status,
        fields=fields,
        languages=languages,
        source_language=source,
        states=states,
        stale_languages=[lang for lang in languages if states[lang] == "stale"],
        can_draft=bool(drafts),
        draft_languages=drafts,
        **context,
    )


def _topic_titles(request: Request, kb: KnowledgeBase | None) -> list[tuple[str, str]]:
    """(id, title) of every topic: its name in the console's language where the topic file
    has one, else in the knowledge base's (the file name when it has none)."""
    if kb is None:
        return []
    ui = i18n.ui_language(request)
    return [(t.id, t.name_in(ui, kb.language)) for t in kb.topics]


def _reload(c: Console) -> None:
    """The knowledge base as now on disk, live (call with the holder's lock held)."""
    if c.holder.answerer is not None:
        c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)


async def _told(c: Console) -> int:
    return await c.holder.after_reload() if c.holder.after_reload is not None else 0


def _is_draft(c: Console, entry_id: str) -> bool:
    """Whether the entry, as now live, is an unfinished draft the bot does not serve."""
    kb = _kb(c)
    entry = kb.by_id.get(entry_id) if kb else None
    return entry is not None and entry.unfinished


def _stale(c: Console, entry_id: str) -> list[str]:
    """The languages whose curated translation of the entry, as now live, was made from an
    older text of it."""
    kb = _kb(c)
    entry = kb.by_id.get(entry_id) if kb else None
    return sorted(lang for lang in entry.translations if entry.stale(lang)) if entry else []


def _names(request: Request, languages: list[str]) -> str:
    """Languages by their names in the console's language: "Arabic, Chinese" / "阿拉伯文、中文"."""
    ui = i18n.ui_language(request)
    return i18n.in_context(ui, "list|, ").join(i18n.language_name(lang, ui) for lang in languages)


def _saved_message(request: Request, saved: entry_edit.Saved, told: int) -> str:
    if saved.again:
        return _(
            request,
            "Already saved: this form was sent twice and {id} was saved once, in {file}.",
            id=saved.entry_id,
            file=saved.file,
        )
    if not saved.changed:
        return _(request, "Nothing changed.")
    if _is_draft(console(request), saved.entry_id):
        return _(
            request,
            "Saved {id} in {file} as a draft: the bot does not serve it until its answer (and any TODO phrasing) is written, and its questions stay in the inbox until then.",  # noqa: E501 (one catalog key)
            id=saved.entry_id,
            file=saved.file,
        )
    text = _(
        request, "Saved {id} in {file}; the bot serves it now.", id=saved.entry_id, file=saved.file
    )
    kb = _kb(console(request))
    entry = kb.by_id.get(saved.entry_id) if kb else None
    if entry is not None and len(entry.answer) > LONG_ANSWER:
        text += " " + _(
            request,
            "The answer is {n} characters long: Telegram shows at most 4,096 characters in one message, so users there get it in several messages, and on a phone it is long to read. Consider shortening it, or splitting it into several entries.",  # noqa: E501 (one catalog key)
            n=f"{len(entry.answer):,}",
        )
    stale = _stale(console(request), saved.entry_id)
    if stale and saved.changed:
        text += " " + _n(
            request,
            "The {langs} translation is now out of date: until it is updated (Translations page), users asking in that language get the new text instead, with a note that the translation is being updated.",  # noqa: E501 (one catalog key)
            "{n} translations ({langs}) are now out of date: until they are updated (Translations page), users asking in those languages get the new text instead, with a note that the translation is being updated.",  # noqa: E501 (one catalog key)
            len(stale),
            langs=_names(request, stale),
        )
    if told:
        text += " " + _n(
            request, "{n} asker was sent the answer.", "{n} askers were sent the answer.", told
        )
    return text


def _redirect(path: str, message: str, kind: str = "message") -> Response:
    return RedirectResponse(f"{path}?{flash_query(**{kind: message})}", status_code=303)


# Editing ----------------------------------------------------------------------------------


@contextmanager
def _writing(c: Console) -> Iterator[EntryHistory]:
    """Hold the answerer lock while the knowledge base is written and reloaded."""
    with c.holder.lock:
        history = EntryHistory(c.storage.path)
        try:
            yield history
        finally:
            history.close()


def _save(c: Console, entry_id: str, values: dict, actor: str, base: str) -> entry_edit.Saved:
    """Save the entry, then reload so that it is live."""
    with _writing(c) as history:
        saved = entry_edit.save_entry(
            c.config.knowledge.dir,
            c.config.knowledge.language,
            entry_id,
            values,
            history=history,
            actor=actor,
            kb=_kb(c),
            base=base or None,
            cache_dir=c.config.knowledge.cache_dir,
        )
        if saved.changed:
            _reload(c)
    return saved


def _roll_back(c: Console, version: Version, side: str, actor: str) -> entry_edit.Saved:
    """Write `version` back through the same save, then reload."""
    with _writing(c) as history:
        saved = entry_edit.rollback(
            c.config.knowledge.dir,
            c.config.knowledge.language,
            version,
            side=side,
            history=history,
            actor=actor,
            kb=_kb(c),
            cache_dir=c.config.knowledge.cache_dir,
        )
        if saved.changed:
            _reload(c)
    return saved


def _audit(
    request: Request, action: str, saved: entry_edit.Saved, previous: int | None, **more: Any
) -> None:
    after = {"file": saved.file, "version": saved.version, **more}
    session = request.state.session
    console(request).accounts.audit(
        session.name, action, saved.entry_id, {"version": previous}, after
    )


def _latest(request: Request, entry_id: str) -> int | None:
    versions = _history(request).versions(entry_id, limit=1)
    return versions[0].id if versions else None


async def _try(request: Request, question: str) -> Any:
    answerer = console(request).holder.answerer
    if not question or answerer is None:
        return None
    return await asyncio.to_thread(answerer.ask, question)


def _no_entry(request: Request, exc: entry_edit.EntryError) -> Response:
    """The entries page (404) saying why the entry asked for cannot be read."""
    return console(request).render(
        request, "entries.html", 404, topics=[], query="", loaded=True, error=_said(request, exc)
    )


@requires("manager")
async def edit_page(request: Request) -> Response:
    """Every field of an entry, one section per language; `try` asks the running bot."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    try:
        file, values = await asyncio.to_thread(
            entry_edit.read_entry, c.config.knowledge.dir, entry_id, _kb(c)
        )
    except entry_edit.EntryError as exc:
        return _no_entry(request, exc)
    question = request.query_params.get("try", "").strip()
    fields = entry_edit.form_fields(values, _languages(c, values))
    fields["base"] = entry_edit.text_version(values)
    restored = _restored(request)
    return _render(
        request,
        values,
        {**fields, **(restored or {})},
        entry_id=entry_id,
        file=file,
        tried=question,
        answer=await _try(request, question),
        message=_restored_message(request) if restored else None,
    )


def _restored(request: Request) -> dict[str, str] | None:
    """What was typed into this page's form before the session ended (`restore`: the
    kept form's token, see app.KeptForms), its own `base` included: a save made meanwhile
    is still noticed."""
    token = request.query_params.get("restore", "")
    if not token:
        return None
    fields = console(request).kept.fields(token, request.url.path)
    if fields is None:
        return None
    return {k: v for k, v in fields.items() if k not in ("csrf", "ids", "asked", "action")}


def _restored_message(request: Request) -> str:
    return _(
        request,
        "What you typed before the session ended is back below; nothing is saved yet: check it and save.",  # noqa: E501 (one catalog key)
    )


def _today(c: Console) -> dt.date:
    """Today in the console's time zone ([web] timezone): a "Reviewed" date staff read."""
    return times.today(times.zone(c.config.web.timezone))


@requires("staff")
async def edit_save(request: Request) -> Response:
    """Save the form (validated first), or fill empty translations with machine drafts."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    fields = _fields_of(form)
    try:
        file, original = await asyncio.to_thread(
            entry_edit.read_entry, c.config.knowledge.dir, entry_id, _kb(c)
        )
    except entry_edit.EntryError as exc:
        return _no_entry(request, exc)
    languages = _languages(c, original)
    if form.get("action") == "draft":
        return await _with_drafts(
            request, original, fields, languages, entry_id=entry_id, file=file
        )
    values = entry_edit.values_from_form(fields, languages, original, _today(c))
    same = _same_unconfirmed(c, entry_id, values, form)
    if same:
        return _render(
            request, original, fields, 409, entry_id=entry_id, file=file, same_wordings=same
        )
    previous = _latest(request, entry_id)
    actor = request.state.session.name
    try:
        base = str(form.get("base", ""))
        saved = await asyncio.to_thread(_save, c, entry_id, values, actor, base)
    except (entry_edit.EntryError, KnowledgeError) as exc:
        return _render(
            request,
            original,
            fields,
            400,
            entry_id=entry_id,
            file=file,
            problems=_problems(request, exc),
            conflict=isinstance(exc, entry_edit.EntryConflictError),
        )
    if saved.changed:
        _audit(request, entry_edit.EDIT, saved, previous)
    told = await _told(c) if saved.changed else 0
    return _redirect(f"/entries/{entry_id}", _saved_message(request, saved, told))


def _same_unconfirmed(
    c: Console, entry_id: str, values: dict, form: FormData
) -> list[entry_edit.SameWording]:
    """Ways to ask that other entries have already, unless staff confirmed them (`same`: the
    texts they saw listed, so that a wording added since is asked about again)."""
    kb = _kb(c)
    if kb is None:
        return []
    same = entry_edit.same_wordings(kb, entry_id, values)
    confirmed = set(form.getlist("same"))
    return [s for s in same if s.text not in confirmed]


def _problems(request: Request, exc: Exception) -> list[kb_problems.Said]:
    """Why nothing was written, in the staff's words (bot/web/kb_problems.py); the details
    with file and line go to the log."""
    log.info("an entry change was refused: %s", exc)
    if isinstance(exc, entry_edit.EntryConflictError):
        return [
            kb_problems.Said(
                _(
                    request,
                    "Someone else saved this entry after you opened it. Open it again in another tab, then copy your changes over.",  # noqa: E501 (one catalog key)
                )
            )
        ]
    return kb_problems.said_all(exc, partial(_, request))


def _said(request: Request, exc: Exception) -> str:
    """Why an entry cannot be opened (it is gone, say), in the staff's words."""
    return " ".join(p.text for p in kb_problems.said_all(exc, partial(_, request)))


def _refused(request: Request, back: str, exc: Exception) -> Response:
    """Back to `back` with why nothing was written (a rollback, move or delete refused)."""
    if isinstance(exc, entry_edit.EntryConflictError):
        error = _(
            request,
            "Nothing changed: this entry was changed by someone else after this page was opened. Open it again, then try again.",  # noqa: E501 (one catalog key)
        )
        return _redirect(back, error, "error")
    said = "; ".join(p.text for p in _problems(request, exc))
    error = _(request, "Nothing changed: {problems}", problems=said)
    return _redirect(back, error, "error")


async def _with_drafts(
    request: Request,
    values: dict | None,
    fields: dict[str, str],
    languages: list[str],
    **context: Any,
) -> Response:
    c = console(request)
    answerer = c.holder.answerer
    translator = answerer.localizer.translator if answerer else None
    glossary = answerer.localizer.glossary if answerer else None
    drafts = await asyncio.to_thread(
        entry_edit.machine_drafts,
        translator,
        c.config.knowledge.language,
        fields,
        languages,
        glossary,
    )
    drafted = sorted({key.split("-")[1] for key in drafts})
    message = (
        _(
            request,
            "Machine drafts for {langs}: check and correct them before saving.",
            langs=", ".join(drafted),
        )
        if drafted
        else _(request, "No empty translation that an installed model covers.")
    )
    return _render(
        request, values, {**fields, **drafts}, message=message, drafted=drafted, **context
    )


# History ----------------------------------------------------------------------------------


@requires("manager")
async def history_page(request: Request) -> Response:
    """Every saved version of an entry, newest first, with what each save changed."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    versions = _history(request).versions(entry_id)
    return c.render(
        request,
        "entry_history.html",
        entry_id=entry_id,
        versions=versions,
    )


@requires("staff")
async def rollback(request: Request) -> Response:
    """Write a version back through the same save path (validated, recorded, live)."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    side = "before" if form.get("side") == "before" else "after"
    try:
        version = _history(request).version(int(str(form.get("version", ""))))
    except ValueError:
        version = None
    back = f"/entries/{entry_id}/history"
    if version is None or version.entry_id != entry_id:
        return _redirect(back, _(request, "No such version."), "error")
    previous = _latest(request, entry_id)
    actor = request.state.session.name
    try:
        saved = await asyncio.to_thread(_roll_back, c, version, side, actor)
    except (entry_edit.EntryError, KnowledgeError) as exc:
        return _refused(request, back, exc)
    if saved.changed:
        _audit(request, entry_edit.ROLLBACK, saved, previous, restored=version.id, side=side)
    told = await _told(c) if saved.changed else 0
    restored = saved.changed and not saved.before  # a deleted entry, back: show it
    return _redirect(
        f"/entries/{entry_id}" if restored else back, _saved_message(request, saved, told)
    )


# Move and delete --------------------------------------------------------------------------


def _written(c: Console, write: Callable[..., Any], *args: Any, actor: str, base: str) -> Any:
    """`write` (entry_edit's move_entry or delete_entry) on the knowledge folder, recorded in
    the history, under the answerer lock; then reload so that the change is live."""
    with _writing(c) as history:
        result = write(
            c.config.knowledge.dir,
            c.config.knowledge.language,
            *args,
            history=history,
            actor=actor,
            kb=_kb(c),
            base=base or None,
            cache_dir=c.config.knowledge.cache_dir,
        )
        _reload(c)
    return result


@requires("staff")
async def move(request: Request) -> Response:
    """Move the entry to the end of another topic's file (validated, recorded, live)."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    topic = str(form.get("topic", ""))
    back = f"/entries/{entry_id}"
    kb = _kb(c)
    if kb is None or topic not in {t.id for t in kb.topics}:
        return _redirect(back, _(request, "Choose a topic."), "error")
    if form.get("confirmed") != "1":  # one click chose a topic: the next one moves
        titles = dict(_topic_titles(request, kb))
        entry = kb.by_id.get(entry_id)
        return c.render(
            request,
            "entry_move.html",
            entry_id=entry_id,
            question=entry.question if entry else "",
            old=titles.get(entry.topic, "") if entry else "",
            new=titles[topic],
            topic=topic,
            base=str(form.get("base", "")),
        )
    previous = _latest(request, entry_id)
    actor = request.state.session.name
    try:
        saved: entry_edit.Saved = await asyncio.to_thread(
            _written,
            c,
            entry_edit.move_entry,
            entry_id,
            f"{topic}.yaml",
            actor=actor,
            base=str(form.get("base", "")),
        )
    except (entry_edit.EntryError, KnowledgeError) as exc:
        return _refused(request, back, exc)
    _audit(request, entry_edit.MOVE, saved, previous, moved_from=saved.moved_from)
    message = _(
        request,
        "Moved {id} from {old} to {new}; it is still a draft: the bot does not serve it until its answer (and any TODO phrasing) is written."  # noqa: E501 (one catalog key)
        if _is_draft(c, entry_id)
        else "Moved {id} from {old} to {new}; the bot serves it now.",
        id=entry_id,
        old=saved.moved_from,
        new=saved.file,
    )
    return _redirect(back, message)


@requires("staff")
async def delete_page(request: Request) -> Response:
    """What deleting the entry does, and the button that does it."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    kb = _kb(c)
    try:
        file, values = await asyncio.to_thread(
            entry_edit.read_entry, c.config.knowledge.dir, entry_id, kb
        )
    except entry_edit.EntryError as exc:
        return _no_entry(request, exc)
    referrers = [e.id for e in kb.entries if entry_id in e.related] if kb else []
    return c.render(
        request,
        "entry_delete.html",
        entry_id=entry_id,
        file=file,
        question=values.get("question", ""),
        referrers=referrers,
        base=entry_edit.text_version(values),
    )


@requires("staff")
async def delete(request: Request) -> Response:
    """Delete the entry (and its id from other entries' `related`), validated, recorded in
    its history (from where it can be restored) and audited; live at once."""
    c = console(request)
    entry_id = request.path_params["entry_id"]
    form = await request.form()
    previous = _latest(request, entry_id)
    actor = request.state.session.name
    try:
        deleted: entry_edit.Deleted = await asyncio.to_thread(
            _written,
            c,
            entry_edit.delete_entry,
            entry_id,
            actor=actor,
            base=str(form.get("base", "")),
        )
    except (entry_edit.EntryError, KnowledgeError) as exc:
        return _refused(request, f"/entries/{entry_id}/delete", exc)
    unlinked = [s.entry_id for s in deleted.unlinked]
    _audit(request, entry_edit.DELETE, deleted.saved, previous, unlinked=unlinked)
    for other in deleted.unlinked:
        _audit(request, entry_edit.EDIT, other, None, unlinked_from=entry_id)
    message = _(
        request,
        "Deleted {id} from {file}; the bot no longer serves it (its history can restore it).",
        id=entry_id,
        file=deleted.saved.file,
    )
    if unlinked:
        message += " " + _(
            request, "No longer named as related by: {ids}.", ids=", ".join(unlinked)
        )
    return _redirect("/entries", message)


# New entries ------------------------------------------------------------------------------


def _asked(c: Console, ids: list[int]) -> list[dict]:
    return triage.items(c.storage, ids) if ids else []


def _prefill(c: Console, rows: list[dict]) -> dict[str, str]:
    """A new entry's fields from the cluster of questions `rows`: its central question asked
    in the knowledge base's language, and every wording under the language it is written in
    (`curation.asked_language`: the language logged with it, or detected now)."""
    kb = _kb(c)
    language = c.config.knowledge.language
    if rows and c.holder.answerer is not None:
        cluster = curation.cluster_of(rows, c.holder.answerer.matcher.encoder)
        wordings = list(zip(cluster.questions, cluster.item_languages, strict=True))
    else:
        wordings = [
            (row["question"], curation.asked_language(row["question"], row["language"]))
            for row in rows
        ]
    question = next((text for text, lang in wordings if lang == language), "")
    taken = set(kb.by_id) if kb else set()
    return entry_edit.new_entry_fields(question, wordings, language, taken, _today(c))


@requires("staff")
async def new_page(request: Request) -> Response:
    """The form for a new entry; `ids` prefills it from those unanswered questions."""
    c = console(request)
    ids = id_list(request.query_params.getlist("ids"))
    restored = _restored(request)
    token = request.query_params.get("restore", "")
    if restored is not None:  # the form as it was sent, its questions and ticks
        ids = id_list(c.kept.values(token, request.url.path, "asked"))
    try:
        rows = _asked(c, ids)
    except UnknownIdError as exc:
        return _render(request, None, {}, 404, new=True, rows=[], error=str(exc))
    if restored is not None:
        chosen = set(id_list(c.kept.values(token, request.url.path, "ids")))
        message = _restored_message(request)
        return _render(request, None, restored, new=True, rows=rows, chosen=chosen, message=message)
    fields = await asyncio.to_thread(_prefill, c, rows)  # no topic: staff choose one
    return _render(request, None, fields, new=True, rows=rows, chosen=set(ids))


def _create(
    c: Console, topic: str, values: dict, ids: list[int], actor: str
) -> tuple[entry_edit.Saved, int]:
    """Append the entry, resolve the questions `ids` with it, reload: under the lock. A
    question resolved or set aside meanwhile raises triage.AlreadyDoneError first, writing
    nothing."""
    kb_dir, language = c.config.knowledge.dir, c.config.knowledge.language
    with _writing(c) as history:
        again = entry_edit.created_already(kb_dir, values, _kb(c))
        if again is not None:  # the same form sent twice: the first created it
            return again, 0
        queued = triage.items(c.storage, ids)
        triage.still_new(queued, _kb(c), lambda item: False, partial(triage.how_done, c.storage))
        saved = entry_edit.create_entry(
            kb_dir,
            language,
            f"{topic}.yaml",
            values,
            history=history,
            actor=actor,
            cache_dir=c.config.knowledge.cache_dir,
            kb=_kb(c),
        )
        resolved = 0
        if ids and not entry_edit.unfinished(values):
            resolved = triage.resolve(c.storage, kb_dir, language, ids, saved.entry_id).changed
        _reload(c)
    return saved, resolved


@requires("staff")
async def new_save(request: Request) -> Response:
    """Create the entry (validated first); the questions it came from are resolved by it."""
    c = console(request)
    form = await request.form()
    fields = _fields_of(form)
    ids = id_list(form.getlist("ids"))
    all_ids = id_list(form.getlist("asked"))
    try:
        rows = _asked(c, all_ids)
    except UnknownIdError as exc:
        return _render(
            request,
            None,
            fields,
            400,
            new=True,
            rows=[],
            chosen=set(ids),
            problems=[kb_problems.Said(str(exc))],
        )
    languages = _languages(c)
    context = {"new": True, "rows": rows, "chosen": set(ids)}
    if form.get("action") == "draft":
        return await _with_drafts(request, None, fields, languages, **context)
    topic = fields.get("topic", "")
    kb = _kb(c)
    if kb is not None and topic not in {t.id for t in kb.topics}:
        return _render(
            request,
            None,
            fields,
            400,
            problems=[kb_problems.Said(_(request, "Choose a topic."))],
            **context,
        )
    values = entry_edit.values_from_form(fields, languages, None, _today(c))
    again = entry_edit.created_already(c.config.knowledge.dir, values, kb)
    if again is not None:  # the same form sent twice: the first created it
        return _redirect(f"/entries/{again.entry_id}", _saved_message(request, again, 0))
    try:  # questions resolved meanwhile say more than the wordings they brought
        queued = triage.items(c.storage, ids)
        triage.still_new(queued, kb, lambda item: False, partial(triage.how_done, c.storage))
    except (triage.TriageError, UnknownIdError) as exc:
        return _render(request, None, fields, 400, problems=_problems(request, exc), **context)
    same = _same_unconfirmed(c, str(values.get("id", "")), values, form)
    if same:
        return _render(request, None, fields, 409, same_wordings=same, **context)
    actor = request.state.session.name
    try:
        saved, resolved = await asyncio.to_thread(_create, c, topic, values, ids, actor)
    except (entry_edit.EntryError, KnowledgeError, triage.TriageError, UnknownIdError) as exc:
        return _render(request, None, fields, 400, problems=_problems(request, exc), **context)
    if saved.again:
        return _redirect(f"/entries/{saved.entry_id}", _saved_message(request, saved, 0))
    _audit(request, entry_edit.NEW, saved, None, resolved=resolved, questions=ids)
    told = await _told(c)
    message = _saved_message(request, saved, told)
    if resolved:
        message += " " + _n(request, "{n} question resolved.", "{n} questions resolved.", resolved)
    return _redirect(f"/entries/{saved.entry_id}", message)


# After a login, a form kept when its session ended comes back into these pages.
edit_page.restores_form = True  # type: ignore[attr-defined]
new_page.restores_form = True  # type: ignore[attr-defined]


def routes() -> list[Route]:
    return [
        Route("/entries/new", new_page),
        Route("/entries/new", new_save, methods=["POST"]),
        Route("/entries/{entry_id}", edit_page),
        Route("/entries/{entry_id}", edit_save, methods=["POST"]),
        Route("/entries/{entry_id}/history", history_page),
        Route("/entries/{entry_id}/rollback", rollback, methods=["POST"]),
        Route("/entries/{entry_id}/move", move, methods=["POST"]),
        Route("/entries/{entry_id}/delete", delete_page),
        Route("/entries/{entry_id}/delete", delete, methods=["POST"]),
    ]
