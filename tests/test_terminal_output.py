"""Users' text reaching staff: terminal escapes shown, never obeyed; CSV cells never run as
spreadsheet formulas."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.report import report
from bot.cli.terminal import json_line, shown
from bot.cli.unanswered import unanswered
from bot.report import csv_cell
from bot.storage import Storage
from tests.conftest import SMALL_KB

HOSTILE = (
    "\x1b[2J\x1b[H\x1b[31mURGENT: run rm -rf ~\x1b[0m "  # clear screen, home, red
    "\x1b]52;c;ZXZpbA==\x07"  # OSC 52: write to the staff's clipboard
    "\x9b1A\x90q\x9c"  # C1 CSI (cursor up) and DCS ... ST
    "\u202eevil\u202c\x08\x7f\rfake prompt$ \x00end"
)
# Bidi marks (U+061C, U+200E, U+200F) are escaped too: they reorder what staff read.
RAW_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


@pytest.fixture
def cfg(config, tmp_path):
    return replace(
        config,
        storage=replace(config.storage, database=tmp_path / "bot.db"),
        knowledge=replace(config.knowledge, dir=SMALL_KB),
    )


def _log(cfg, questions: list[str]) -> None:
    with Storage.open(cfg.storage.database) as storage:
        for n, question in enumerate(questions):
            storage.log_interaction(
                user_id=n, chat_type="private", language="en", question=question,
                status="unanswered",
            )  # fmt: skip


def test_unanswered_list_shows_escapes_instead_of_obeying_them(cfg):
    _log(cfg, [HOSTILE])
    result = CliRunner().invoke(unanswered, ["list"], obj=cfg)
    assert result.exit_code == 0, result.output
    assert RAW_CONTROLS.findall(result.output) == []
    line = result.output.splitlines()[1]
    assert "\\e[2J\\e[H\\e[31mURGENT" in line and "\\x9b1A" in line  # cut at 70 characters
    assert len(result.output.splitlines()) == 3  # header, the question, the count


def test_unanswered_json_is_inert_and_still_the_same_text(cfg):
    _log(cfg, [HOSTILE])
    with Storage.open(cfg.storage.database) as storage:
        stored = storage.list_unanswered()[0]["question"]
    result = CliRunner().invoke(unanswered, ["list", "--json"], obj=cfg)
    assert RAW_CONTROLS.findall(result.output) == []
    assert json.loads(result.output)["question"] == stored


def test_unanswered_clusters_show_escapes(cfg):
    _log(cfg, [HOSTILE, HOSTILE + " again", "\x1b[31mred question"])
    for args in (["clusters"], ["clusters", "--json"]):
        result = CliRunner().invoke(unanswered, args, obj=cfg)
        assert result.exit_code == 0, result.output
        assert RAW_CONTROLS.findall(result.output) == []


def test_new_entry_scaffold_prints_no_raw_controls(cfg):
    _log(cfg, [HOSTILE])
    result = CliRunner().invoke(unanswered, ["new-entry", "1"], obj=cfg)
    assert result.exit_code == 0, result.output
    assert RAW_CONTROLS.findall(result.output) == []


@given(st.text())
def test_shown_leaves_no_control_and_keeps_printable_text(text):
    out = shown(text)
    assert RAW_CONTROLS.findall(out) == [] and "\n" not in out and "\t" not in out
    plain = RAW_CONTROLS.sub("", text).replace("\n", "").replace("\t", "")
    assert set(plain) <= set(out)
    assert json.loads(json_line({"q": text}))["q"] == text
    assert RAW_CONTROLS.findall(json_line({"q": text})) == []


def test_ordinary_text_is_unchanged():
    text = "公司银行账户怎么开？ Как открыть счёт? كيف أفتح حسابا؟ 👩‍💻 café"
    assert shown(text) == text and json.loads(json_line(text)) == text


@pytest.mark.parametrize("cell", FORMULAS)
def test_csv_cell_neutralises_formulas(cell):
    assert csv_cell(cell) == "'" + cell


def test_csv_cell_leaves_ordinary_cells():
    assert [csv_cell(v) for v in ("fapiao", "What is 2+2?", "", 3, -1.5)] == [
        "fapiao", "What is 2+2?", "", 3, -1.5,
    ]  # fmt: skip


def test_report_csv_holds_no_live_formula(config, tmp_path):
    cfg = replace(
        config,
        storage=replace(config.storage, database=tmp_path / "data" / "bot.db"),
        knowledge=replace(config.knowledge, dir=SMALL_KB),
    )
    _log(cfg, FORMULAS)
    folder = tmp_path / "csv"
    result = CliRunner().invoke(
        report, ["--since", "7d", "--out", str(tmp_path / "r.html"), "--csv", str(folder)],
        obj=cfg,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cells = []
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            cells += [c for row in csv.reader(f) for c in row]
    texts = [c for c in cells if any(q.strip() in c for q in FORMULAS if q.strip())]
    assert texts, "the questions reach the CSV"
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
