"""Knowledge-base problems as the console says them: in plain words, in the console's
language, naming the field by its label on the entry form and saying what to do.

The loader (bot/knowledge.py) gives each problem a `code`, the `field` it is about and its
`values` (bot/kbmodel.Problem); its English `message`, with the file and line, is for
`kb check` and the logs. A problem without a code is shown by its message, without the file
and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.kbmodel import KnowledgeError, Problem

# The entry form's fields, as labelled on it (the form's label without its hint).
LABELS = {
    "id": "Id",
    "question": "Question",
    "alternates": "Other ways to ask",
    "answer": "Answer",
    "tags": "Tags",
    "links": "Links",
    "reviewed": "Reviewed",
    "related": "Related entries",
    "notes": "Notes for staff",
    "phrasings": "Ways to ask in languages without a translation",
    "translations": "Translations",
}

# What is wrong and what to do, by the problem's code (and field, where it matters).
SAID = {
    "empty": "“{field}” is empty: write it, then save again.",
    "empty:answer": "“{field}” is empty: write the answer the bot should give, then save again.",
    "too-few": "“{field}” is empty: write at least one line, then save again.",
    "too-few:alternates": "“{field}” is empty: write at least one other way a user might ask this question, one a line.",  # noqa: E501 (one catalog key)
    "too-few:tags": "“{field}” is empty: write at least one tag, a word that groups the entry (for example banking).",  # noqa: E501 (one catalog key)
    "empty-item": "Line {item} of “{field}” is empty: write it or delete it.",
    "not-list": "“{field}” cannot be read as a list: write one item a line.",
    "language": "“{lang}” in “{field}” is not a language code the bot knows: use a two-letter code such as de, ru or zh.",  # noqa: E501 (one catalog key)
    "language:?": "A line of “{field}” does not start with a language code: write it as “de: Firmenkonto eröffnen”.",  # noqa: E501 (one catalog key)
    "placeholder": "“{field}” still says “{text}”: write the real text, or delete that line.",
    "link": "Line {item} of “{field}” is not a web address: write it as “title | https://…”.",
    "date": "“{field}” is not a date: write it as 2026-11-01.",
    "id-format": "“{field}” may only have lowercase letters, digits and hyphens, for example bank-account.",  # noqa: E501 (one catalog key)
    "id-length": "“{field}” is too long: at most {maximum} characters.",
    "duplicate-id": "The id “{id}” is already used by another entry: choose another id, or edit that entry instead.",  # noqa: E501 (one catalog key)
    "unknown-related": "“{field}” names {id}, which no entry has: correct the id or remove it.",
}
TRANSLATED_FIELD = "{field} ({lang} translation)"

# Why an edit was refused when no entry's text is at fault, by the code of the
# bot.entry_edit.EntryError or bot.kbedit.EditError (with its `details`: id, file).
REFUSED = {
    "no-entry": "The knowledge base has no entry {id}: it may have been deleted, or its id changed.",  # noqa: E501 (one catalog key)
    "already-there": "{id} is in {file} already.",
    "only-entry": "{id} is the only entry of its topic ({file}), and a topic needs at least one: add another entry to that topic first.",  # noqa: E501 (one catalog key)
    "file-changed": "{file} was changed by someone else while this was being saved: try again.",
    "invalid-file": "{file} has a mistake that stops the console from editing it: it must first be corrected in the file by hand.",  # noqa: E501 (one catalog key)
    "layout": "{file} is laid out in a way the console cannot edit safely: make this change in the file by hand.",  # noqa: E501 (one catalog key)
    "bad-version": "That saved version cannot be read back as this entry.",
    "empty-version": "That version has no text to go back to: the entry was new, or deleted, then.",  # noqa: E501 (one catalog key)
    "file-gone": "The topic file {file} is gone, so the entry cannot be put back into it: restore it by hand.",  # noqa: E501 (one catalog key)
}


@dataclass(frozen=True)
class Said:
    """A problem in the staff's words, and where to go about it (an entry's page)."""

    text: str
    href: str = ""
    link: str = ""


def field_label(field: str, say: Callable[..., str]) -> str:
    """The form's label of `field` ("translations.zh.answer": Answer (zh translation))."""
    parts = field.split(".")
    if parts[0] == "translations" and len(parts) == 3:
        label = say(LABELS.get(parts[2], parts[2]))
        return say(TRANSLATED_FIELD).format(field=label, lang=parts[1])
    return say(LABELS.get(parts[0], parts[0]))


def said(problem: Problem, say: Callable[..., str]) -> Said:
    """`problem` in the staff's words; `say(text, **values)` translates a catalog text."""
    values = problem.details
    template = (
        SAID.get(f"{problem.code}:{values.get('lang')}")
        or SAID.get(f"{problem.code}:{problem.field.rsplit('.', 1)[-1]}")
        or SAID.get(problem.code)
    )
    if template is None:
        return Said(problem.message)
    # Translated first, then filled: the problem's values never clash with `say`'s own names
    text = say(template).format_map({**values, "field": field_label(problem.field, say)})
    if problem.code == "duplicate-id":
        return Said(text, f"/entries/{values['id']}", say("Open {id}", id=values["id"]))
    return Said(text)


def problems_of(exc: BaseException) -> list[Problem] | None:
    """The knowledge base's problems behind `exc` (raised from a KnowledgeError, through
    any number of wrappers); None when it has none."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KnowledgeError):
            return seen.problems
        seen = seen.__cause__ or seen.__context__
    return None


def refused(exc: BaseException, say: Callable[..., str]) -> Said | None:
    """`exc` in the staff's words by its code (`REFUSED`), or by that of the error it was
    raised from; None when none has one."""
    seen: BaseException | None = exc
    while seen is not None:
        template = REFUSED.get(getattr(seen, "code", ""))
        if template:
            return Said(say(template).format_map(getattr(seen, "details", {})))
        seen = seen.__cause__ or seen.__context__
    return None


def said_all(exc: BaseException, say: Callable[..., str]) -> list[Said]:
    """Why `exc` refused a change, one item per problem, in the staff's words."""
    problems = problems_of(exc)
    if problems is None:
        coded = refused(exc, say)
        if coded is not None:
            return [coded]
        return [Said(line) for line in str(exc).split("\n") if line.strip()]
    unique = dict.fromkeys(said(p, say) for p in problems)
    return list(unique)
