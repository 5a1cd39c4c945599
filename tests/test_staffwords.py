"""The Telegram staff chat in the staff language (bot/telegram/staffwords.py): Chinese for
a knowledge base written in Chinese, as the digest, and English as before otherwise; through
a real Application and the recording Bot API stand-in."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import counting, telegram
from bot.handoffmodel import SENDING
from bot.telegram import staff, staffwords
from bot.telegram.staffqueue import StaffQueue, WebCopies
from bot.web import i18n
from bot.web.chat_hub import StaffNote
from tests import fake_telegram as tg
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_CHAT, STAFF_USER, texts
from tests.test_telegram_handoffs import (
    QUESTION_RU,
    as_reply_to,
    edits,
    press,
    running,
    staff_copy,
    staff_says,
)

QUESTION_EN = "Who won the football world cup in 1998?"

# What the staff chat says at each step, in each staff language.
SAYS = {
    "en": {
        "kind": "<b>❓ Unanswered</b>",
        "hint": "<i>Reply to this message to answer the user.</i>",
        "warning": (
            "No Russian translation model is installed: a reply goes exactly as typed. "
            "Write it in Russian if you can."
        ),
        "copy buttons": ["Claim", "Close"],
        "claimed": "✋ Claimed by Ann",
        "claimed buttons": ["Open", "Ignore", "Take over", "Close"],
        "held": "Not sent: Ann is answering this user. To answer instead, press “Take over” first.",
        "delivered": "Delivered as typed (no Russian translation model installed).",
        "closed": "☑️ Closed by Ann",
        "reopen": ["Reopen"],
    },
    "zh": {
        "kind": "<b>❓ 未解答</b>",
        "hint": "<i>回复此消息即可答复该用户。</i>",
        "warning": "未安装俄文翻译模型：回复将按原文原样发出。请尽量用俄文书写。",
        "copy buttons": ["认领", "关闭"],
        "claimed": "✋ 已由 Ann 认领",
        "claimed buttons": ["查看", "忽略", "接手", "关闭"],
        "held": "未发送：Ann 正在答复此用户。如需改由您答复，请先点击“接手”。",
        "delivered": "已按原文送达（未安装俄文翻译模型）。",
        "closed": "☑️ 已由 Ann 关闭",
        "reopen": ["重新打开"],
    },
}


class NoRussian:
    """A translator with every model but those into Russian."""

    @staticmethod
    def translate(text, source, target):
        return None if target == "ru" else f"[{source} to {target}] {text}"

    @staticmethod
    def covers(source, target):
        return target != "ru"


def written_in(bot_config, language: str):
    """The bot's configuration for a knowledge base written in `language`."""
    return replace(bot_config, knowledge=replace(bot_config.knowledge, language=language))


def buttons(row: list[dict]) -> list[str]:
    return [b["text"] for b in row]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_handoff_notice_its_buttons_and_delivery_notes_are_in_the_staff_language(
    api, bot_config, small_answerer, storage, language
):
    """A Chinese centre's staff read the handoff notices, their Claim / Close / Take over /
    Reopen buttons, the state shown on them, a refused reply and the delivery notes in
    English. Now they read them in Chinese when the knowledge base is written in Chinese;
    an English one keeps them in English, word for word as before."""
    says = SAYS[language]
    config = written_in(bot_config, language)
    async with running(api, config, small_answerer, storage, NoRussian()) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy = staff_copy(api)
        copy_id = api.message_id_of(copy)
        assert copy["text"].startswith(says["kind"])
        assert says["warning"] in copy["text"] and copy["text"].endswith(says["hint"])
        assert buttons(copy["reply_markup"]["inline_keyboard"][0]) == says["copy buttons"]

        await app.send(press("hc:m", copy_id))
        assert api.sent("answerCallbackQuery")[-1]["text"] == says["claimed"]
        [keyboard] = [
            p["reply_markup"]["inline_keyboard"]
            for p in api.sent("editMessageReplyMarkup", STAFF_CHAT)
            if int(p["message_id"]) == copy_id
        ]
        assert buttons(keyboard[0]) == [says["claimed"]]
        assert buttons(keyboard[1]) == says["claimed buttons"]

        await app.send(staff_says("Germany?", as_reply_to(api, copy), user_id=78, name="Bo"))
        assert texts(api, STAFF_CHAT)[-1] == says["held"]
        await app.send(staff_says("France.", as_reply_to(api, copy)))
        assert texts(api, 501)[-1].endswith("\nFrance.")  # as typed: no Russian model
        assert texts(api, STAFF_CHAT)[-1] == says["delivered"]

        [handoff] = app.bot_data["desk"].store.find()
        await app.send(press(f"hx:{handoff.id}", copy_id))
        assert edits(api, copy_id)[-1] == says["closed"]
        last = api.sent("editMessageReplyMarkup", STAFF_CHAT)[-1]["reply_markup"]
        assert buttons(last["inline_keyboard"][1])[-1:] == says["reopen"]


CHINESE_KB = """\
topic:
  zh: 资金
entries:
  - id: fapiao
    question: 什么是发票？
    alternates: [怎么开发票]
    answer: 发票是中国的正式税务凭证，通过税务系统开具。
    tags: [税务]
    links: []
    reviewed: 2026-11-01
  - id: bank-account
    question: 公司银行账户怎么开？
    alternates: [开设对公账户]
    answer: 携带营业执照、公司印章和法定代表人护照到银行网点办理。
    tags: [银行]
    links: []
    reviewed: 2026-11-01
"""


async def test_staff_commands_and_refusals_answer_in_chinese(
    run_updates, bot_config, small_answerer, storage, api, tmp_path
):
    """/unanswered, /stats and /reload (a knowledge base reloaded or refused), a button on
    a question dealt with already, and a staff command in a public group answered in
    English in a Chinese centre's staff chat. Now in Chinese, numbers and all."""
    kb_dir = tmp_path / "zh-kb"
    kb_dir.mkdir()
    (kb_dir / "money.yaml").write_text(CHINESE_KB, encoding="utf-8")
    config = written_in(bot_config, "zh")
    config = replace(config, knowledge=replace(config.knowledge, dir=kb_dir))
    group = {"chat_id": -300, "chat_type": "supergroup"}
    await run_updates(tg.message(QUESTION_EN, user_id=501), storage=storage, config=config)
    [item] = storage.list_unanswered()
    storage.set_unanswered_status([item["id"]], "resolved", "fapiao")
    storage.log_interaction(  # another question, still waiting
        user_id=502, chat_type="private", language="en", question="q", status="unanswered"
    )
    await run_updates(
        tg.message("/unanswered", user_id=STAFF_USER),
        tg.message("/stats", user_id=STAFF_USER),
        tg.message("/reload", user_id=STAFF_USER),
        tg.callback(f"ui:{item['id']}", user_id=STAFF_USER),
        tg.message("/stats", user_id=STAFF_USER, **group),
        storage=storage,
        config=config,
    )
    listed, stats, reloaded = api.sent("sendMessage", STAFF_USER)
    assert listed["text"].startswith(f"#{item['id'] + 1} · en · ")  # the one still waiting
    assert listed["text"].endswith(  # logged without a chat (as from the command line)
        "<i>无法联系到该提问者（没有已知的聊天：问题来自其他渠道，或对方已选择不再接收消息）。</i>"
    )
    actions = listed["reply_markup"]["inline_keyboard"][-1]
    assert buttons(actions) == ["查看", "忽略", "认领", "关闭"]
    assert stats["text"].startswith("最近 7 天：2 个问题\n")
    assert "  未回答: 2" in stats["text"] and "按语言：" in stats["text"]
    assert reloaded["text"] == (  # and the question resolved meanwhile is answered
        "知识库已重新加载：1 个主题，共 2 个条目。已向 1 个先前问题的提问者发送答案。"
    )
    assert api.sent("answerCallbackQuery")[-1]["text"] == "此问题已解决（fapiao）：未做任何更改。"
    (kb_dir / "money.yaml").write_text(CHINESE_KB.replace("    links: []\n", "", 1))
    await run_updates(tg.message("/reload", user_id=STAFF_USER), config=config)
    assert texts(api, STAFF_USER)[-1] == (
        "知识库未重新加载：发现 1 个问题；仍在使用之前的版本。\n"
        "money.yaml:4 [fapiao]: `links` is missing (use [] where there is no source)"
    )
    assert texts(api, -300) == [
        "工作人员命令只能在工作人员群或与我的私聊中使用：在这里，所有人都会看到命令显示的内容。"
    ]


async def test_a_reply_to_a_listing_from_before_the_language_changed_still_says_why(
    run_updates, bot_config, storage, api
):
    """A staff reply to an /unanswered item shown in English, its asker gone, is explained
    after the staff chat turned Chinese (and the other way round): the bot knows its own
    hint in either language."""
    for shown, now in (("en", "zh"), ("zh", "en")):
        hint = i18n.translate(shown, staff.REPLY_HINT)
        listing = {  # a message of the bot's that no relay links to an asker any more
            "message_id": 12345,
            "date": 0,
            "chat": {"id": STAFF_CHAT, "type": "supergroup"},
            "from": {"id": tg.BOT_ID, "is_bot": True, "first_name": "FAQ"},
            "text": f"#999 · en · 2026-11-29T10:00\nq\n\n{hint}",
        }
        await run_updates(
            staff_says("Answer", listing), storage=storage, config=written_in(bot_config, now)
        )
        assert texts(api, STAFF_CHAT)[-1] == i18n.translate(now, staff.NO_ASKER)


async def test_a_thumbs_down_reaches_a_chinese_staff_chat_in_chinese(
    run_updates, bot_config, storage, api
):
    """A 👎 with its reason reached staff labelled in the knowledge base's words and with
    "(entry fapiao)" in English. Now in the staff chat's language."""
    config = written_in(bot_config, "zh")
    await run_updates(tg.message("What is a fapiao?"), storage=storage, config=config)
    thumbs_down = api.sent("sendMessage", 42)[-1]["reply_markup"]["inline_keyboard"][-1][-1]
    await run_updates(tg.callback(thumbs_down["callback_data"]), storage=storage, config=config)
    asked = api.sent("sendMessage", 42)[-1]["reply_markup"]["inline_keyboard"]
    outdated = next(row[0] for row in asked if row[0]["callback_data"].endswith(":outdated"))
    await run_updates(tg.callback(outdated["callback_data"]), storage=storage, config=config)
    [copy] = api.sent("sendMessage", STAFF_CHAT)
    assert copy["text"].startswith("<b>👎 内容过时</b>")
    assert "What is a fapiao?\n\n（条目 fapiao）" in copy["text"]


@pytest.mark.parametrize(
    ("language", "head"),
    [
        ("en", "<b>🌐 Web chat · 🤷 None of these fit</b>\nweb visitor · ru"),
        ("zh", "<b>🌐 网页聊天 · 🤷 建议答案都不符合</b>\n网页访客 · ru"),
    ],
)
async def test_a_web_visitors_copy_is_labelled_in_the_staff_language(bot_config, language, head):
    app = SimpleNamespace(bot_data={})
    config = written_in(bot_config, language)
    queue = StaffQueue(app, config, None, lambda **kw: None)  # type: ignore[arg-type]
    app.bot_data["staff_queue"] = queue
    WebCopies(app).copy(StaffNote("🤷 None of these fit", "Где?", "ru", "web:a"))  # type: ignore[arg-type]
    block = await queue._block(queue.queue.get_nowait(), 3800)
    assert block.partition("\n\n")[0] == head


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's constant texts by name (ELSEWHERE = "..."; a class's LABEL too)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def staff_chat_says() -> set[str]:
    """Every English text the staff chat's modules pass to `_`, `_n` (its plural form) or
    `in_context`, written out or by a constant's name."""
    said = set()
    for module in Path(telegram.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            at = {"_": [1], "_n": [2], "in_context": [1]}.get(name)  # staffwords._ too
            for arg in (node.args[i] for i in at or () if i < len(node.args)):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    said.add(arg.value)
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    said.add(constants[arg.id])
    return said


def test_every_staff_chat_text_has_a_chinese_translation():
    """Each text the staff chat shows (what the code passes to `_`, `_n` and `in_context`;
    the names of copies, attachments and states it translates as data; the core's reasons
    a reply was refused or not delivered) is in the zh catalog: what is not is shown in
    English in a Chinese centre's staff chat."""
    said = staff_chat_says()
    assert len(said) > 40
    assert {"button|Open", staff.ELSEWHERE, "Claim #{n}"} <= said  # found, by every way
    said |= set(staffwords.COPY_LABELS) | set(staff.ATTACHMENTS.values())
    said |= {"message without text", "new", "ignored", "resolved", *counting.OUTCOMES}
    said |= {"no handoff to reply to", "the reply is empty", "the channel could not deliver it"}
    said |= {"the asker's data is gone (forgotten or expired)", SENDING}
    assert sorted(said - set(i18n.catalog("zh"))) == []
