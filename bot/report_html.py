"""The managers' report as one self-contained HTML page: inline CSS, charts drawn here as
inline SVG, no script, font or request to anywhere. The figures come from `bot.report`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, tzinfo
from html import escape

from bot import times
from bot.report import MIN_VOTES, OUTCOMES, EntryStats, Outcomes, Report, reasons_text
from bot.staffwork import StaffWork

COLOURS = {
    "answered": "#2e7d32",
    "chosen": "#8bc34a",
    "suggest": "#f2a900",
    "unanswered": "#c62828",
    "smalltalk": "#90a4ae",
    "original": "#1565c0",
    "curated": "#2e7d32",
    "machine": "#ef6c00",
    "source": "#8e24aa",
}
NAMES = {
    "answered": "answered",
    "chosen": "answered after a suggestion",
    "suggest": "suggested",
    "unanswered": "unanswered",
    "smalltalk": "small talk",
    "original": "original language",
    "curated": "curated translation",
    "machine": "machine translation",
    "source": "not yet translated",
}
COUNTING = (
    "A question counts once. When the user chooses one of the suggestions offered, it "
    'counts as answered after a suggestion; when they say "none of these", as unanswered. '
    'Opening an entry from "See also" or from the topics and writing to the staff on purpose '
    "are not questions; the entries opened from the topics are counted apart."
)
CHART_W, AXIS_L, AXIS_R, AXIS_T, AXIS_B = 960, 56, 12, 14, 34
CSS = """
body{font:15px/1.45 system-ui,"Segoe UI","DejaVu Sans",sans-serif;color:#222;margin:0;
background:#f4f5f7}
main{max-width:1040px;margin:0 auto;padding:24px}
header{background:#1f3a5f;color:#fff;padding:20px 24px}
header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.9}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 20px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{font-size:18px;margin:0 0 8px}p.note{color:#555;margin:0 0 10px;font-size:14px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.card{background:#f7f9fc;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:24px}.card span{color:#555;font-size:13px}
svg{width:100%;height:auto;display:block;margin:4px 0 8px}
svg text{font:12px system-ui,"DejaVu Sans",sans-serif;fill:#333}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:start;padding:5px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}
.legend span{margin-right:14px;white-space:nowrap;font-size:13px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:5px;border-radius:2px}
footer{color:#666;font-size:13px;text-align:center;padding:0 0 24px}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _short(text: str, limit: int = 34) -> str:
    """`text` within `limit` columns (CJK characters count two), cut at a word where one
    is near, with an ellipsis."""
    text = " ".join(text.split())
    if sum(map(_width, text)) <= limit:
        return text
    used, cut = 0, 0
    while used + _width(text[cut]) <= limit - 1:
        used += _width(text[cut])
        cut += 1
    head = text[:cut]
    space = head.rfind(" ")
    if space >= cut * 2 // 3:
        head = head[:space]
    return head.rstrip(" ,.;:–-") + "…"


def _nice(peak: float) -> float:
    """The smallest round number (1, 1.2, 1.6, 2, ... x 10^k) at or above `peak`."""
    if peak <= 0:
        return 1
    power = 10 ** math.floor(math.log10(peak))
    return next(m * power for m in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10) if m * power >= peak)


def _svg(height: float, title: str, parts: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {CHART_W} {height:.0f}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>{''.join(parts)}</svg>"
    )


def _rect(x: float, y: float, w: float, h: float, colour: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="{colour}"><title>{_e(tip)}</title></rect>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_e(text)}</text>'


def _day_axes(
    days: Sequence[Outcomes], height: float, top: float, label: Callable[[float], str]
) -> list[str]:
    plot_h = height - AXIS_T - AXIS_B
    slot = (CHART_W - AXIS_L - AXIS_R) / len(days)
    parts = []
    for i in range(5):
        y = AXIS_T + plot_h * (1 - i / 4)
        parts.append(
            f'<line x1="{AXIS_L}" x2="{CHART_W - AXIS_R}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#999" if i == 0 else "#e3e6ea"}"/>'
        )
        parts.append(_text(AXIS_L - 6, y + 4, label(top * i / 4), "end"))
    step = max(1, math.ceil(len(days) / 12))
    for i in range(0, len(days), step):
        parts.append(
            _text(AXIS_L + (i + 0.5) * slot, height - AXIS_B + 18, days[i].key[5:], "middle")
        )
    return parts


Say = Callable[..., str]  # an interface-language translator: say("{n} of {total}", n=..)


def _english(text: str, **values: object) -> str:
    return text.format(**values) if values else text


def per_day_bars(days: Sequence[Outcomes], height: float = 280, say: Say = _english) -> str:
    """Questions per day as stacked bars, one colour per outcome; titles and tooltips through
    `say` (the console passes its interface language's)."""
    peak = max(d.total for d in days)
    top = max(4, 4 * math.ceil(peak / 4)) if peak < 40 else _nice(peak)  # whole-number ticks
    parts = _day_axes(days, height, top, lambda v: f"{v:,.0f}")
    plot_h = height - AXIS_T - AXIS_B
    slot = (CHART_W - AXIS_L - AXIS_R) / len(days)
    width = min(slot * 0.76, 48)
    for i, day in enumerate(days):
        y = AXIS_T + plot_h
        for outcome in OUTCOMES:
            count = getattr(day, outcome)
            if count:
                h = count / top * plot_h
                y -= h
                parts.append(
                    _rect(
                        AXIS_L + (i + 0.5) * slot - width / 2,
                        y,
                        width,
                        h,
                        COLOURS[outcome],
                        say(
                            "{day}: {count} {outcome} of {total}",
                            day=day.key,
                            count=f"{count:,}",
                            outcome=say(NAMES[outcome]),
                            total=f"{day.total:,}",
                        ),
                    )
                )
    return _svg(height, say("Questions per day by outcome"), parts)


def share_lines(days: Sequence[Outcomes], height: float = 240, say: Say = _english) -> str:
    """The share of each outcome per day as lines; days without questions leave a gap."""
    parts = _day_axes(days, height, 1.0, lambda v: f"{v:.0%}")
    plot_h = height - AXIS_T - AXIS_B
    slot = (CHART_W - AXIS_L - AXIS_R) / len(days)
    for outcome in OUTCOMES:
        runs: list[list[str]] = [[]]
        for i, day in enumerate(days):
            if not day.total:
                runs.append([])
                continue
            x, y = AXIS_L + (i + 0.5) * slot, AXIS_T + plot_h * (1 - day.share(outcome))
            runs[-1].append(f"{x:.1f},{y:.1f}")
            if len(days) <= 45:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" '
                    f'fill="{COLOURS[outcome]}"><title>{_e(day.key)}: '
                    f"{_pct(day.share(outcome))} {_e(say(NAMES[outcome]))}</title></circle>"
                )
        parts.extend(
            f'<polyline points="{" ".join(run)}" fill="none" stroke-width="2" '
            f'stroke="{COLOURS[outcome]}"/>'
            for run in runs
            if len(run) > 1
        )
    return _svg(height, say("Share of each outcome per day"), parts)


def hbars(
    rows: Sequence[tuple[str, Sequence[tuple[int, str, str]], str]],
    title: str,
    tips: Sequence[str] | None = None,
) -> str:
    """Horizontal bars: (label, segments of (value, colour, tooltip), text after the bar);
    `tips` are tooltips for the labels (the whole text, an id), one per row."""
    row_h, label_w, value_w = 26, 250, 120
    peak = max((sum(v for v, _, _ in segments) for _, segments, _ in rows), default=0) or 1
    parts = []
    for k, (label, segments, after) in enumerate(rows):
        y = 4 + k * row_h
        short = _short(label)
        tip = tips[k] if tips else (label if short != label else "")
        text = _text(label_w - 8, y + row_h / 2 + 4, short, "end")
        if tip:
            text = text.replace("</text>", f"<title>{_e(tip)}</title></text>")
        parts.append(text)
        x = float(label_w)
        for value, colour, tip in segments:
            w = value / peak * (CHART_W - label_w - value_w)
            parts.append(_rect(x, y + 4, w, row_h - 8, colour, tip))
            x += w
        parts.append(_text(x + 6, y + row_h / 2 + 4, after))
    return _svg(8 + row_h * len(rows), title, parts)


def _legend(keys: Sequence[str], say: Say = _english) -> str:
    items = "".join(
        f'<span><i style="background:{COLOURS[k]}"></i>{_e(say(NAMES[k]))}</span>' for k in keys
    )
    return f'<p class="legend">{items}</p>'


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: Collection[int] = (),
    user_text: Collection[int] = (),
) -> str:
    """A table; every cell escaped, `user_text` columns with dir="auto" (Arabic reads RTL)."""

    def cell(tag: str, i: int, value: object) -> str:
        attrs = (' class="num"' if i in numeric else "") + (' dir="auto"' if i in user_text else "")
        return f"<{tag}{attrs}>{_e(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, note: str, *content: str) -> str:
    return (
        f'<section><h2>{_e(title)}</h2><p class="note">{_e(note)}</p>{"".join(content)}</section>'
    )


def _outcome_rows(rows: Sequence[Outcomes]) -> list[list[object]]:
    return [
        [r.key, f"{r.total:,}", *(f"{getattr(r, o):,} ({_pct(r.share(o))})" for o in OUTCOMES)]
        for r in rows
    ]


def _summary(r: Report, say: Say = _english) -> str:
    cards = [
        (f"{r.total:,}", say("questions")),
        (f"{r.people:,}", say("people asking")),
        (_pct(r.share("answered")), say("answered")),
        (_pct(r.share("chosen")), say("answered after a suggestion")),
        (_pct(r.share("suggest")), say("suggestions only")),
        (_pct(r.share("unanswered")), say("unanswered")),
        (_pct(r.share("smalltalk")), say("small talk")),  # the shares add up to 100%
        (_pct(r.helpful_rate), say("helpful ({n} votes)", n=f"{r.votes:,}")),
        (f"{r.browsed:,}", say("entries opened from the topics")),
    ]
    if r.waits_timed or not r.replies_timed:
        cards += [
            (
                _ms(r.wait_median_ms),
                say("median wait for a reply ({n} timed)", n=f"{r.waits_timed:,}"),
            ),
            (_ms(r.wait_p90_ms), say("90% waited at most")),
        ]
    else:  # a log written before waits were recorded: say what the figure is
        cards += [
            (_ms(r.median_ms), say("median matching time (waits not logged)")),
            (_ms(r.p90_ms), say("90% matched within")),
        ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>'
            for value, label in cards
        )
        + "</div>"
    )


def _outcome_header(first: str, say: Say) -> list[str]:
    return [say(first), say("questions"), *(say(NAMES[o]) for o in OUTCOMES)]


def _days_section(r: Report, say: Say = _english) -> str:
    if not r.total:
        return _section(say("Questions per day"), say("No questions in this period."))
    return _section(
        say("Questions per day"),
        say("Each bar is one day (UTC), split by outcome. Hover for numbers."),
        _legend(OUTCOMES, say),
        per_day_bars(r.days, say=say),
        f"<h2>{_e(say('Outcome shares per day'))}</h2>",
        share_lines(r.days, say=say),
        f"<details><summary>{_e(say('Table'))}</summary>",
        _table(_outcome_header("day", say), _outcome_rows(r.days), numeric={1, 2, 3, 4, 5, 6}),
        "</details>",
    )


def _languages_section(r: Report, say: Say = _english) -> str:
    rows = [
        (
            lang.key,
            [
                (
                    getattr(lang, o),
                    COLOURS[o],
                    say(
                        "{code}: {count} {outcome}",
                        code=lang.key,
                        count=f"{getattr(lang, o):,}",
                        outcome=say(NAMES[o]),
                    ),
                )
                for o in OUTCOMES
            ],
            f"{lang.total:,}",
        )
        for lang in r.languages
    ]
    return _section(
        say("Languages"),
        say(
            "Questions by the language they are written in, split by outcome (a language the "
            "bot does not configure, such as Vietnamese answered in English, counts as itself)."
        ),
        _legend(OUTCOMES, say),
        hbars(rows, say("Questions by language")) if rows else "",
        _table(
            _outcome_header("language", say),
            _outcome_rows(r.languages),
            numeric={1, 2, 3, 4, 5, 6},
        ),
    )


def _unanswered_section(r: Report, say: Say = _english) -> str:
    rows = [
        [i, c.label, c.count, " ".join(c.languages), " | ".join(c.examples)]
        for i, c in enumerate(r.clusters, 1)
    ]
    return _section(
        say("Top unanswered questions"),
        say(
            "{total} questions found no answer; {inbox} of them are still in the Inbox, not "
            "yet added to an entry or set aside ({open} still wait for a reply from staff). "
            "The most asked of those, with similar wordings grouped: candidates for new "
            "knowledge base entries.",
            total=f"{r.unanswered_total:,}",
            inbox=f"{r.unanswered_in_inbox:,}",
            open=f"{r.unanswered_open:,}",
        ),
        _table(
            ["#", say("question"), say("times"), say("languages"), say("other wordings")],
            rows,
            numeric={0, 2},
            user_text={1, 4},
        )
        if rows
        else "",
    )


def _entries_section(r: Report, say: Say = _english) -> str:
    bars = [
        (
            s.question or s.entry_id,
            [
                (
                    s.uses,
                    COLOURS["answered"],
                    say("{entry}: {n} answers", entry=s.entry_id, n=f"{s.uses:,}"),
                )
            ],
            f"{s.uses:,}",
        )
        for s in r.top_entries
    ]
    tips = [f"{s.entry_id}: {s.question}" if s.question else s.entry_id for s in r.top_entries]
    rows = [
        [s.entry_id, s.question, f"{s.uses:,}", f"{s.votes:,}", _helpful(s, say)]
        for s in r.top_entries
    ]
    header = [say("entry"), say("question"), say("answers"), say("votes"), say("helpful")]
    return _section(
        say("Most used entries"),
        say("The knowledge base entries given as answers most often. Hover a question for its id."),
        hbars(bars, say("Most used entries"), tips) if bars else "",
        _table(header, rows, numeric={2, 3, 4}, user_text={1}) if rows else "",
    )


def _long_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: Collection[int],
    user_text: Collection[int],
    shown: int = 20,
    say: Say = _english,
) -> str:
    """The first `shown` rows, and the rest folded away under a <details>."""
    if not rows:
        return ""
    html = _table(header, rows[:shown], numeric, user_text)
    if len(rows) > shown:
        more = say("{n} more", n=f"{len(rows) - shown:,}")
        html += (
            f"<details><summary>{_e(more)}</summary>"
            f"{_table(header, rows[shown:], numeric, user_text)}</details>"
        )
    return html


def _helpful(s: EntryStats, say: Say = _english) -> str:
    """`60% of 5 votes`: a share never without the number of votes behind it."""
    if not s.votes:
        return "–"
    text = "{share} of {n} vote" if s.votes == 1 else "{share} of {n} votes"
    return say(text, share=_pct(s.helpful_rate), n=f"{s.votes:,}")


def _feedback_section(r: Report, say: Say = _english) -> str:
    rows = [
        [
            s.entry_id,
            s.question,
            f"{s.votes:,}",
            f"{s.votes - s.helpful:,}",
            _helpful(s, say),
            _pct(s.helpful_low) if s.ranked else say("fewer than {n} votes", n=MIN_VOTES),
            reasons_text(s.reasons, say) or "–",
        ]
        for s in r.entry_feedback
    ]
    return _section(
        say("Helpful feedback"),
        say(
            "Overall {share} of {n} votes said the answer helped. Entries with at least {min} "
            "votes come first, least helpful first by what their votes show with 95% "
            "confidence (the Wilson lower bound: 1 helpful vote of 1 proves less than 40 of "
            '45); then entries with fewer votes, most "not helpful" votes first.',
            share=_pct(r.helpful_rate),
            n=f"{r.votes:,}",
            min=MIN_VOTES,
        ),
        _long_table(
            [
                say("entry"),
                say("question"),
                say("votes"),
                say("not helpful"),
                say("helpful"),
                say("at least (95%)"),
                say("👎 reasons"),
            ],
            rows,
            numeric={2, 3, 4, 5},
            user_text={1},
            say=say,
        ),
    )


def _sources_section(r: Report, say: Say = _english) -> str:
    total = sum(n for _, n in r.text_sources)
    rows = [
        (
            say(NAMES.get(s, s)),
            [(n, COLOURS.get(s, "#607d8b"), say("{n} answers", n=f"{n:,}"))],
            f"{n:,} ({_pct(n / total)})",
        )
        for s, n in r.text_sources
    ]
    timing = say(
        "The users' wait for a reply, over the {n} replies where it was measured: median "
        "{median}, 90th percentile {p90}. Matching alone, over {m} questions: median "
        "{match_median}, 90th percentile {match_p90}.",
        n=f"{r.waits_timed:,}",
        median=_ms(r.wait_median_ms),
        p90=_ms(r.wait_p90_ms),
        m=f"{r.replies_timed:,}",
        match_median=_ms(r.median_ms),
        match_p90=_ms(r.p90_ms),
    )
    sources = say(
        "Where the text of each answer came from: the knowledge base's own language, a "
        "translation, or the original text because no translation exists yet."
    )
    return _section(
        say("Answer texts and reply time"),
        sources + ("" if sources.endswith("。") else " ") + timing,  # no space after 。
        hbars(rows, say("Answer text source")) if rows else "",
    )


def _stale_section(r: Report, say: Say = _english) -> str:
    if not r.kb_loaded:
        return _section(say("Entries due for review"), say("The knowledge base was not loaded."))
    rows = [
        [s.entry_id, s.topic, s.question, s.reviewed.isoformat(), f"{s.age_days:,}"]
        for s in r.stale_entries
    ]
    note = (
        say(
            "{n} entries were last reviewed more than {days} days ago.",
            n=len(rows),
            days=r.review_age_days,
        )
        if rows
        else say("Every entry was reviewed in the last {days} days.", days=r.review_age_days)
    )
    return _section(
        say("Entries due for review"),
        note,
        _long_table(
            [say("entry"), say("topic"), say("question"), say("reviewed"), say("days ago")],
            rows,
            numeric={3, 4},
            user_text={2},
            say=say,
        ),
    )


def _stale_translations_section(r: Report, say: Say = _english) -> str:
    if not r.kb_loaded:
        return ""
    rows = [
        [s.entry_id, s.language, s.topic, s.reviewed, s.recorded, s.current]
        for s in r.stale_translations
    ]
    note = (
        say(
            "{n} curated translation was made from an older text of its entry. Until a "
            "translator updates it, the bot answers with the current text and a note that "
            "the translation is being updated."
            if len(rows) == 1
            else "{n} curated translations were made from an older text of their entry. Until "
            "a translator updates them, the bot answers with the current text and a note that "
            "the translation is being updated.",
            n=len(rows),
        )
        if rows
        else say("Every curated translation matches the current text of its entry.")
    )
    return _section(
        say("Translations to update"),
        note,
        _long_table(
            [
                say("entry"),
                say("language"),
                say("topic"),
                say("reviewed"),
                say("made from"),
                say("current"),
            ],
            rows,
            numeric=(),
            user_text=(),
            say=say,
        ),
    )


# The staff work table's headings after the staff member's (StaffWork's counts, in order).
STAFF_HEADINGS = (
    "replies sent",
    "delivered",
    "handoffs closed",
    "questions added to entries",
    "new entries from questions",
    "questions set aside",
    "users' choices accepted",
    "users' choices set aside",
    "entry changes",
    "entries created",
    "translations saved",
)
STAFF_NOTE = (
    "What each staff member did in this period, on the console, from the command line and "
    "in the staff chat, as the audit log records it: replies sent to askers (a reply to a "
    "group counts once, one that did not reach its asker too; delivered: those that reached "
    "their asker), handoffs closed (each once, and only while still closed: one reopened "
    "since is not counted), inbox "
    "questions added to an entry's wordings or set aside (ignored or off-topic) and entries "
    'made from them, the suggestions users chose (from "did you mean" or "See also") added '
    "to an entry's wordings or set aside, entry changes saved (edits, rollbacks, moves, "
    "deletions), entries created and translations saved."
)
STAFF_UNFILTERED = "Staff work covers every language and channel."
NO_STAFF_WORK = "No staff activity in this period."


def staff_rows(r: Report, say: Say = _english) -> list[list[object]]:
    """The staff work table's rows, everyone's together last: name, then each count."""

    def row(work: StaffWork, name: str) -> list[object]:
        return [name, *(f"{n:,}" for n in work.counts)]

    return [row(w, w.name) for w in r.staff] + [row(r.staff_total, say("All staff"))]


def _staff_section(r: Report, say: Say = _english) -> str:
    if not r.staff:
        return _section(say("Staff work"), say(NO_STAFF_WORK))
    note = say(STAFF_NOTE)
    if r.language or r.channel:
        note += ("" if note.endswith("。") else " ") + say(STAFF_UNFILTERED)
    return _section(
        say("Staff work"),
        note,
        _table(
            [say("staff member"), *(say(h) for h in STAFF_HEADINGS)],
            staff_rows(r, say),
            numeric=set(range(1, len(STAFF_HEADINGS) + 1)),
            user_text={0},
        ),
    )


def _filters(report: Report, say: Say = _english) -> str:
    """The filters a report was built with, so that nobody reads it as the whole log."""
    if report.language and report.channel:
        text = say(
            "Only questions in language {code} (written or answered in it) and through "
            "channel {channel}.",
            code=report.language,
            channel=report.channel,
        )
    elif report.language:
        text = say(
            "Only questions in language {code} (written or answered in it).",
            code=report.language,
        )
    elif report.channel:
        text = say("Only questions through channel {channel}.", channel=report.channel)
    else:
        return ""
    return f'<p class="filters">{_e(text)}</p>'


def render_html(
    report: Report, say: Say | None = None, language: str = "en", zone: tzinfo = UTC
) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing to fetch),
    its words through `say` (English without it) in `language` (the CLI passes the console's
    catalog for zh), its period in `zone` ([web] timezone, as the days are)."""
    say = say or _english
    since, until = (times.shown(t, zone) for t in (report.since, report.now))
    days = len(report.days)
    sections = [
        f"<section><h2>{_e(say('Summary'))}</h2>{_summary(report, say)}"
        f'<p class="note">{_e(say(COUNTING))}</p></section>',
        _days_section(report, say),
        _languages_section(report, say),
        _unanswered_section(report, say),
        _entries_section(report, say),
        _feedback_section(report, say),
        _sources_section(report, say),
        _staff_section(report, say),
        _stale_section(report, say),
        _stale_translations_section(report, say),
    ]
    period = say(
        "Period: {since} to {until} {zone} ({days} days) · generated {until} {zone}"
        if days != 1
        else "Period: {since} to {until} {zone} (1 day) · generated {until} {zone}",
        since=since,
        until=until,
        days=days,
        zone=times.zone_label(zone, report.now),
    )
    title = say("FAQ bot report {since} to {until}", since=since[:10], until=until[:10])
    footer = say(
        "Question texts are shown as logged, with personal data redacted. People are counted "
        "by pseudonymous key only; no Telegram id is stored or shown."
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{_e(say('FAQ bot report'))}</h1><p>{_e(period)}</p>"
        f"{_filters(report, say)}</header>"
        f"<main>{''.join(sections)}</main>"
        f"<footer>{_e(footer)}</footer>"
        "</body></html>\n"
    )
