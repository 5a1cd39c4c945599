"""The audit log page (bot/web/audit.py) through the ASGI client, on a real SQLite file:
actions in words, targets linked, what changed summarised, filters by who, what and when."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import login


def _record(accounts, clock):
    accounts.audit(
        "mei", "handoff.reply", "handoff:4", {"state": "new", "holder": None},
        {"state": "answered", "holder": "mei"},
    )  # fmt: skip
    accounts.audit(
        "mei", "unanswered.restore", "3 5",
        [{"id": 3, "status": "ignored"}, {"id": 5, "status": "ignored"}],
        {"status": "new", "changed": 1},
    )  # fmt: skip
    clock.now += timedelta(days=10)
    accounts.audit(
        "sam", "entry.edit", "fapiao", {"version": 1}, {"file": "money.yaml", "version": 2}
    )
    accounts.audit(
        "sam", "translation.save", "fapiao:ru", {"status": "missing"}, {"status": "current"}
    )


def test_actions_in_words_targets_linked_changes_summarised(client, accounts, clock):
    _record(accounts, clock)
    login(client, "mia")
    page = unescape(client.get("/audit").text)
    assert '<td title="handoff.reply">replied to a user</td>' in page
    # the handoff and the question named, not a bare "#4" / "#3" (they count apart)
    assert '<a href="/handoffs/4">handoff #4</a>' in page
    assert "put questions back in the inbox" in page
    assert '<a href="/inbox">question #3, question #5</a>' in page
    assert "#3: ignored → new" in page
    assert "state: new → answered" in page and "holder: – → mei" in page
    assert '<a href="/entries/fapiao">fapiao</a>' in page and "version: 1 → 2" in page
    assert '<a href="/translations?lang=ru">fapiao (ru)</a>' in page
    assert "<details><summary>as recorded</summary>" in page  # the raw JSON, one click away
    assert "T09:00:00+00:00" not in page.split("<details>")[0]


def test_the_log_is_filtered_by_who_what_and_period(client, accounts, clock):
    _record(accounts, clock)
    login(client, "mia")
    by_mei = unescape(client.get("/audit", params={"who": "mei"}).text)
    assert "replied to a user" in by_mei and "edited an entry" not in by_mei
    handoffs = unescape(client.get("/audit", params={"what": "handoffs"}).text)
    assert "replied to a user" in handoffs and "put questions back" not in handoffs
    recent = unescape(client.get("/audit", params={"days": "7"}).text)
    assert "edited an entry" in recent and "replied to a user" not in recent
    none = unescape(client.get("/audit", params={"who": "sam", "what": "handoffs"}).text)
    assert "Nothing matches these filters." in none and '<option value="sam" selected>' in none


def test_the_audit_log_speaks_chinese(client, accounts, clock):
    _record(accounts, clock)
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    page = client.get("/audit").text
    assert "回复了用户" in page and "将问题放回收件箱" in page and "最近 7 天" in page
    # what changed: the fields and states in words
    assert "状态: 新建 → 已回答" in page and "认领人: – → mei" in page
    assert "#3: 已忽略 → 新建" in page and "版本: 1 → 2" in page
    assert '<a href="/handoffs/4">转人工会话 #4</a>' in page
    assert '<a href="/inbox">问题 #3, 问题 #5</a>' in page


def _audited_fields() -> dict[str, str]:
    """Every field an audit row records, found in the code that writes them: the dicts
    given to an `audit(...)` call (or built in a function named `..._audit`, or assigned to
    `before` / `after`), and the keywords of entries_edit's `_audit`; with where."""
    import ast
    from pathlib import Path

    import bot

    found: dict[str, str] = {}

    def keys(node, where: str) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Dict):
                for key in sub.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        found.setdefault(key.value, where)

    root = Path(bot.__file__).parent
    for path in root.rglob("*.py"):
        if path == root / "web" / "audit.py":  # the reader, not a writer
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name.endswith("audit"):
                    keys(node, where)
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name.endswith("audit") or name.startswith("audit_"):
                    keys(node, where)
                    if name == "_audit":
                        found.update({kw.arg: where for kw in node.keywords if kw.arg})
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in ("before", "after"):
                        keys(node.value, where)
                    if (
                        isinstance(target, ast.Subscript)
                        and getattr(target.value, "id", "") in ("before", "after")
                        and isinstance(target.slice, ast.Constant)
                    ):
                        found.setdefault(target.slice.value, where)
    return found


def test_every_field_the_audit_rows_write_has_a_name_in_english_and_chinese():
    """On the Chinese console "what changed" kept the fields as recorded: "version: 17 →
    18", "file: office.yaml", "changed: 1", "offtopic_examples_added" ... Now every field
    any audit row writes has a plain name, translated; so have the words of their values."""
    from bot.web import audit, i18n

    written = _audited_fields()
    assert {"version", "file", "changed", "resolved", "questions", "state"} <= set(written)
    written.pop("id")  # a question's number in a list of questions: shown as "#3"
    unnamed = {field: where for field, where in written.items() if field not in audit.FIELDS}
    assert unnamed == {}, "give these fields a name in bot/web/audit.py FIELDS"
    zh = i18n.catalog("zh")
    words = [
        *audit.FIELDS.values(),
        *audit.STATE_WORDS.values(),
        *(w for values in audit.VALUE_WORDS.values() for w in values.values()),
        *audit.SYSTEM_ACTORS.values(),
    ]
    assert [word for word in words if word not in zh] == []
    assert [name for name in audit.FIELDS.values() if "_" in name] == []  # words, not codes


def test_what_changed_is_said_in_chinese_field_by_field(client, accounts, storage):
    """The rows the tester saw in English on the Chinese console: an entry created with
    inbox questions, off-topic examples added and removed, an attach, a handoff closed by
    the bot itself ("inbox")."""
    accounts.audit(
        "mei", "entry.new", "office-printer", None,
        {"file": "office.yaml", "version": 18, "resolved": 2, "questions": [3, 4]},
    )  # fmt: skip
    accounts.audit(
        "mei", "entry.edit", "fapiao", {"version": 17}, {"file": "money.yaml", "version": 18}
    )
    accounts.audit(
        "mei", "unanswered.offtopic", "offtopic.yaml", [{"id": 5, "status": "new"}],
        {"status": "ignored", "offtopic_examples_added": ["Pizza?"], "changed": 1},
    )  # fmt: skip
    accounts.audit(
        "mei", "unanswered.restore", "5", [{"id": 5, "status": "ignored"}],
        {"status": "new", "changed": 1, "offtopic_examples_removed": ["Pizza?"]},
    )  # fmt: skip
    accounts.audit(
        "mei", "unanswered.attach", "fapiao", [{"id": 6, "status": "new"}],
        {"status": "resolved", "entry": "fapiao", "file": "money.yaml", "phrasings_added": 1,
         "changed": 1},
    )  # fmt: skip
    accounts.audit(
        "mei", "choices.accept", "fapiao", [{"id": 1, "entry": "fapiao", "status": "new"}],
        [{"entry": "fapiao", "file": "money.yaml", "added": 1, "already_there": 0}],
    )  # fmt: skip
    accounts.audit(
        "mei", "entry.rollback", "fapiao", {"version": 18},
        {"file": "money.yaml", "version": 19, "restored": 17, "side": "before"},
    )  # fmt: skip
    accounts.audit(
        "inbox", "handoff.close", "handoff:7", {"state": "new"},
        {"state": "closed", "question": "resolved"},
    )  # fmt: skip
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    page = unescape(client.get("/audit").text)
    changed = " ".join(re.findall(r'<li dir="auto">(.*?)</li>', page))
    for said in (
        "版本: 17 → 18", "主题文件: office.yaml", "已解决的问题数: 2", "收件箱问题: 3, 4",
        "新增的无关问题示例: Pizza?", "移除的无关问题示例: Pizza?", "改动的问题数: 1",
        "新增问法数: 1", "条目 fapiao, 主题文件 money.yaml, 新增问法数 1, 已有的问法数 0",
        "恢复自版本: 17", "恢复的内容: 该次改动之前", "收件箱问题: 已解决",
    ):  # fmt: skip
        assert said in changed, (said, changed)
    assert not re.search(r"[a-z]+_[a-z_]+|\b(version|file|changed|resolved|questions)\b", changed)
    assert "<td>自动（收件箱）</td>" in page
    assert '<option value="inbox">自动（收件箱）</option>' in page
    client.cookies.set("console_lang", "en")
    page = unescape(client.get("/audit").text)
    assert "off-topic examples added: Pizza?" in page and "<td>automatic (inbox)</td>" in page


def test_a_reply_that_reached_nobody_is_said_in_words():
    """An undelivered reply's audit row (`delivered: false`) read "delivered False", its
    field unnamed; it says "delivered: no" (否 on the Chinese console)."""
    from bot.web import audit, i18n

    lines = audit.changes({"state": "claimed"}, {"state": "answered", "delivered": False})
    assert "delivered: no" in " ".join(lines), lines
    zh = i18n.catalog("zh")
    said = audit.changes({}, {"delivered": True}, lambda text: zh.get(text, text))
    assert "已送达" in " ".join(said) and "是" in " ".join(said), said
