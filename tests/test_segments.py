"""Tests for bot/segments.py: translation that keeps Markdown, links, numbers and terms intact."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.segments import (
    PLACEHOLDER_BASE,
    Glossary,
    GlossaryError,
    GlossaryTerm,
    protected_spans,
    translate_markdown,
)

REPO = Path(__file__).resolve().parents[1]

GLOSSARY = Glossary(
    (
        GlossaryTerm(
            "business licence",
            {"zh": "营业执照", "fr": "licence d'exploitation"},
            chinese="营业执照",
        ),
        GlossaryTerm("WFOE"),
        GlossaryTerm("SAFE"),
        GlossaryTerm("VAT", {"zh": "增值税", "fr": "TVA"}),
        GlossaryTerm("special VAT fapiao", {"zh": "增值税专用发票"}),
        GlossaryTerm("Z visa", {"zh": "Z字签证", "fr": "visa Z"}),
        GlossaryTerm("户口", {"en": "hukou"}),
    )
)


class Recorder:
    """A fake model: records what it is given and returns `fake(text)`."""

    def __init__(self, fake=lambda s: "T:" + s):
        self.fake = fake
        self.calls: list[str] = []

    def __call__(self, text: str) -> str:
        self.calls.append(text)
        return self.fake(text)


def run(text: str, fake=lambda s: "T:" + s, glossary=None, target="fr") -> tuple[str, list]:
    model = Recorder(fake)
    return translate_markdown(text, model, glossary=glossary, target=target), model.calls


def upper(s: str) -> str:
    return s.upper()


def reverse_words(s: str) -> str:
    return " ".join(reversed(s.split()))


def drop_digits(s: str) -> str:
    return re.sub(r"\d+", "", s)


def duplicate(s: str) -> str:
    return s + " " + s


def reverse_chars(s: str) -> str:
    return s[::-1]


FAKES = [upper, reverse_words, drop_digits, duplicate, reverse_chars, lambda s: "T:" + s]


# Structure --------------------------------------------------------------------------------


def test_sentence_is_translated_whole_with_spaces_kept():
    assert run("Hello world.") == ("T:Hello world.", ["Hello world."])


def test_markdown_prefixes_and_blank_lines_are_kept():
    text = "# Title\n\n- first item\n* second item\n  1. nested step\n> quoted text\n"
    out, calls = run(text)
    assert out == (
        "# T:Title\n\n- T:first item\n* T:second item\n  1. T:nested step\n> T:quoted text\n"
    )
    assert calls == ["Title", "first item", "second item", "nested step", "quoted text"]


def test_fenced_code_block_is_untouched():
    text = "Run this:\n```\nprint('hello world')\n```\nDone."
    out, calls = run(text)
    assert out == "T:Run this:\n```\nprint('hello world')\n```\nT:Done."
    assert calls == ["Run this:", "Done."]


def test_unclosed_fence_keeps_the_rest():
    assert run("Intro\n~~~\nnot prose\nstill code") == (
        "T:Intro\n~~~\nnot prose\nstill code",
        ["Intro"],
    )


def test_sentences_are_translated_one_by_one_but_not_after_abbreviations():
    out, calls = run("Bring papers, e.g. a lease. Then wait!\n然后等待。好的")
    assert calls == ["Bring papers, e.g. a lease.", "Then wait!", "然后等待。", "好的"]
    assert out == "T:Bring papers, e.g. a lease. T:Then wait!\nT:然后等待。T:好的"


def test_empty_and_letterless_texts_are_never_sent():
    for text in ["", "   ", "\n\n", "- ", "---", "25% / 13%", "**2027**", "`x`", " ... "]:
        out, calls = run(text)
        assert (out, calls) == (text, [])


def test_windows_line_ends_and_model_line_breaks_are_handled():
    out, calls = run("First line.\r\n- second\r\n", lambda s: s.replace(" ", "\n"))
    assert calls == ["First line.", "second"]
    assert out == "First line.\r\n- second\r\n"


def test_translate_errors_propagate():
    def broken(_: str) -> str:
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        translate_markdown("Hello", broken, target="fr")


# Protected spans --------------------------------------------------------------------------


def test_protected_spans_kinds():
    text = "See `cfg` at https://x.cn/a. or a@b.cn, /staff, RMB 20,000 and S1 for HNTE 营业执照."
    assert [(text[s:e], kind) for s, e, kind in protected_spans(text)] == [
        ("`cfg`", "code"),
        ("https://x.cn/a", "url"),
        ("a@b.cn", "email"),
        ("/staff", "command"),
        ("RMB", "acronym"),
        ("20,000", "number"),
        ("S1", "id"),
        ("HNTE", "acronym"),
        ("营业执照", "cjk"),
    ]


def test_containers_hold_their_inner_spans():
    text = "**Note 25%**: see [the form 12](https://x.cn/f) or `a **b** c`."
    assert [(text[s:e], kind) for s, e, kind in protected_spans(text)] == [
        ("**Note 25%**", "emphasis"),
        ("[the form 12](https://x.cn/f)", "link"),
        ("`a **b** c`", "code"),
    ]


def test_cjk_is_protected_only_inside_mostly_non_cjk_text():
    assert protected_spans("the licence (营业执照) here") == [(13, 17, "cjk")]
    assert protected_spans("营业执照和公司印章 ok") == []


def test_glossary_terms_are_spans():
    text = "A WFOE's business licences (营业执照), VAT and special VAT fapiao; safe SAFE."
    assert [(text[s:e], kind) for s, e, kind in protected_spans(text, GLOSSARY)] == [
        ("WFOE", "term"),
        ("business licences (营业执照)", "term"),
        ("VAT", "term"),
        ("special VAT fapiao", "term"),
        ("SAFE", "term"),
    ]


# Masking and restoring --------------------------------------------------------------------


def test_inline_spans_are_masked_and_restored():
    text = "Pay 25% of RMB 20,000 within 183 days at https://etax.gov.cn/ or ask a@b.cn."
    out, calls = run(text)
    assert calls == ["Pay 101 of 102 within 103 days at 104 or ask 105."]
    assert out == "T:Pay 25% of RMB 20,000 within 183 days at https://etax.gov.cn/ or ask a@b.cn."


def test_placeholders_may_move():
    out, calls = run("Form A-12 needs HNTE status", reverse_words)
    assert calls == ["Form 101 needs 102 status"]
    assert out == "status HNTE needs A-12 Form"


def test_link_text_and_emphasis_are_translated_separately():
    out, calls = run("Read [the guide](https://x.cn/g) and **sign here** now.")
    assert calls == ["the guide", "sign here", "Read 101 and 102 now."]
    assert out == "T:Read [T:the guide](https://x.cn/g) and **T:sign here** now."


def test_code_spans_never_reach_the_model():
    out, calls = run("Type `ls -la here` then press Enter.", upper)
    assert calls == ["Type 101 then press Enter."]
    assert out == "TYPE `ls -la here` THEN PRESS ENTER."


def test_dropped_placeholders_fall_back_to_pieces():
    out, calls = run("Call 12345 or visit www.gov.cn today.", drop_digits)
    assert calls == ["Call 101 or visit 102 today.", "Call", "or visit", "today."]
    assert out == "Call 12345 or visit www.gov.cn today."


def test_duplicated_placeholders_fall_back_to_pieces():
    out, calls = run("Wait 30 days.", duplicate)
    assert calls == ["Wait 101 days.", "Wait", "days."]
    assert out == "Wait Wait 30 days. days."


def test_garbled_placeholders_fall_back_to_pieces():
    out, calls = run("From 2026 to 2027 only", reverse_chars)  # 101 102 -> 201 101
    assert calls == ["From 101 to 102 only", "From", "to", "only"]
    assert out == "morF 2026 ot 2027 ylno"


def test_extra_numbers_from_the_model_fall_back_to_pieces():
    out, _ = run("In 2027 it ends", lambda s: s.replace("ends", "ends 7"))
    assert out == "In 2027 it ends 7"  # pieces: "In", "it ends" -> "it ends 7"


def test_full_width_and_arabic_indic_placeholders_are_read():
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    assert run("Pay 13% now", lambda s: s.translate(full))[0] == "Pay 13% now"
    assert run("Pay 13% now", lambda s: s.translate(arabic))[0] == "Pay 13% now"


def test_placeholders_are_three_digit_numbers():
    _, calls = run("a 1 b 2 c 3")
    assert calls == [f"a {PLACEHOLDER_BASE} b {PLACEHOLDER_BASE + 1} c {PLACEHOLDER_BASE + 2}"]


def test_adjacent_spans_share_a_placeholder():
    _, calls = run("Call +86 10 1234 5678 or COVID-19 line, `a``b`")
    assert calls == ["Call 101 or 102 line, 103"]


def test_chinese_in_parentheses_is_kept():
    out, calls = run("Open a basic deposit account (基本存款账户) first.")
    assert calls == ["Open a basic deposit account (101) first."]
    assert out == "T:Open a basic deposit account (基本存款账户) first."


# Glossary rendering -----------------------------------------------------------------------


def test_glossary_renders_terms_in_the_target_language():
    text = "A WFOE needs a business licence and pays VAT."
    out, calls = run(text, glossary=GLOSSARY, target="fr")
    assert calls == ["A 101 needs a 102 and pays 103."]
    assert out == "T:A WFOE needs a licence d'exploitation (营业执照) and pays TVA."
    out, _ = run(text, glossary=GLOSSARY, target="zh")
    assert out == "T:A WFOE needs a 营业执照 and pays 增值税."


def test_chinese_name_is_shown_once_and_not_doubled():
    text = "Get the business licence (营业执照). Business licences expire."
    out, calls = run(text, glossary=GLOSSARY, target="fr")
    assert calls == ["Get the 101.", "101 expire."]
    assert out == "T:Get the licence d'exploitation (营业执照). T:licence d'exploitation expire."
    assert run(text, glossary=GLOSSARY, target="zh")[0] == "T:Get the 营业执照. T:营业执照 expire."


def test_term_without_rendering_keeps_the_source_text():
    out, _ = run("Special VAT fapiaos and a Z VISA", glossary=GLOSSARY, target="ru")
    assert out == "T:Special VAT fapiaos and a Z VISA"
    out, _ = run("Special VAT fapiaos and a Z VISA", glossary=GLOSSARY, target="zh")
    assert out == "T:增值税专用发票 and a Z字签证"


def test_acronym_terms_match_in_capitals_only():
    out, calls = run("Keep it safe, SAFE says.", glossary=GLOSSARY)
    assert calls == ["Keep it safe, 101 says."]


def test_cjk_terms_match_as_substrings():
    out, calls = run("需要户口本吗", glossary=GLOSSARY, target="en")
    assert calls == ["需要101本吗"]
    assert out == "T:需要hukou本吗"


def test_terms_inside_containers_are_rendered():
    out, calls = run("**VAT rules** apply", glossary=GLOSSARY, target="fr")
    assert calls == ["101 rules", "101 apply"]
    assert out == "T:**T:TVA rules** apply"


# Properties -------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "the",
        "company",
        "Bank",
        "visa",
        "pay",
        "tax",
        "office",
        "licence",
        "营业执照",
        "налог",
        "ضريبة",
        "e.g.",
        "and",
        "staff",
        "safe",
    ]
)
NUMBERS = st.sampled_from(
    ["25%", "2027", "RMB 20,000", "183", "13.5", "+86 10 1234 5678", "2026-11-02", "3-5", "USD 500"]
)
URLS = st.sampled_from(
    [
        "https://www.samr.gov.cn/",
        "http://x.cn/a?b=1&c=2",
        "www.gov.cn/x",
        "https://fwp.safe.gov.cn/index.html",
    ]
)
EMAILS = st.sampled_from(["help@example.com", "a.b+c@x.gov.cn"])
CODES = st.sampled_from(["`pip install x`", "`a 5 b`", "``x`y``"])
TERMS = st.sampled_from(
    ["business licence", "WFOE", "VAT", "Z visa", "special VAT fapiao", "business licences"]
)
PROTECTED = st.one_of(NUMBERS, URLS, EMAILS, CODES)
PIECE = st.one_of(
    WORDS,
    WORDS,
    WORDS,
    PROTECTED,
    TERMS,
    st.builds(lambda w, u: f"[{w}]({u})", WORDS, URLS),
    st.builds(lambda w, p: f"**{w} {p}**", WORDS, PROTECTED),
)
SENTENCE = st.builds(
    lambda ws, end: " ".join(ws) + end,
    st.lists(PIECE, min_size=1, max_size=8),
    st.sampled_from(["", ".", "!", "?", ":", ";"]),
)
LINE = st.builds(
    lambda prefix, ss: prefix + " ".join(ss),
    st.sampled_from(["", "- ", "* ", "1. ", "## ", "> ", "  "]),
    st.lists(SENTENCE, min_size=1, max_size=3),
)
MARKDOWN = st.builds("\n".join, st.lists(st.one_of(LINE, st.just("")), max_size=5))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def placeholders_only(call: str) -> bool:
    return all(len(run) == 3 and int(run) >= PLACEHOLDER_BASE for run in re.findall(r"\d+", call))


@FAST
@given(st.text())
def test_identity_translator_keeps_any_text(text):
    assert translate_markdown(text, lambda s: s, target="fr") == text


@FAST
@given(MARKDOWN)
def test_identity_translator_keeps_markdown(text):
    assert translate_markdown(text, lambda s: s, target="fr") == text


@FAST
@given(st.text(), st.sampled_from(FAKES))
def test_model_sees_no_digits_but_placeholders_nor_blank_text(text, fake):
    _, calls = run(text, fake, GLOSSARY)
    for call in calls:
        assert call.strip() == call and any(c.isalpha() for c in call)
        assert placeholders_only(call)


@FAST
@given(MARKDOWN, st.sampled_from(FAKES))
def test_protected_spans_survive_any_model(text, fake):
    out, calls = run(text, fake)
    kept = re.findall(r"(?:https?://|www\.)[^\s)*]+|\S+@\S+\.\w+", text)
    kept += [m.group() for m in re.finditer(r"(`+)[^`].*?(?<!`)\1(?!`)", text)]
    numbers = re.findall(r"\d+(?:[,.\-]\d+)*%?", text)
    for item in kept + numbers:
        assert item.rstrip(".,;:!?") in out
    for item in kept:
        assert all(item.rstrip(".,;:!?") not in call for call in calls)
    assert all(placeholders_only(call) and call.strip() for call in calls)  # no number either


@FAST
@given(MARKDOWN, st.sampled_from(FAKES), st.sampled_from(["fr", "zh", "ru"]))
def test_glossary_terms_never_reach_the_model(text, fake, target):
    _, calls = run(text, fake, GLOSSARY, target)
    assert all(GLOSSARY.spans(call) == [] for call in calls)


# Glossary files ---------------------------------------------------------------------------

VALID = """\
terms:
  - term: WFOE
  - term: business licence
    zh: 营业执照
    ru: лицензия на ведение бизнеса
    chinese: 营业执照
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "glossary.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(GlossaryError) as info:
        Glossary.load(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


def test_valid_glossary_loads(tmp_path):
    glossary = Glossary.load(write(tmp_path, VALID))
    assert glossary.terms == (
        GlossaryTerm("WFOE", {}, "", 2),
        GlossaryTerm(
            "business licence",
            {"zh": "营业执照", "ru": "лицензия на ведение бизнеса"},
            "营业执照",
            3,
        ),
    )
    assert Glossary.empty().terms == ()


def test_glossary_unknown_key(tmp_path):
    assert problems(tmp_path, VALID + "    note: official\n") == [
        "glossary.yaml:7 [business licence]: unknown key `note` (use term, chinese or a "
        "language code)"
    ]


def test_glossary_unknown_language_code(tmp_path):
    assert problems(tmp_path, VALID.replace("    ru:", "    xx:")) == [
        "glossary.yaml:5 [business licence]: unknown language code 'xx' (use ISO 639-1, e.g. zh)"
    ]


def test_glossary_empty_term(tmp_path):
    assert problems(tmp_path, VALID + "  - term: '  '\n  - zh: 发票\n") == [
        "glossary.yaml:7: `term` must be non-empty text on one line",
        "glossary.yaml:8: `term` is missing",
    ]


def test_glossary_duplicate_term(tmp_path):
    assert problems(tmp_path, VALID + "  - term: Business  Licence\n") == [
        "glossary.yaml:7 [Business  Licence]: duplicate term (first at line 3)"
    ]


def test_glossary_bad_values(tmp_path):
    text = "terms:\n  - term: fapiao\n    zh: ''\n    chinese: invoice\n  - just text\n"
    assert problems(tmp_path, text) == [
        "glossary.yaml:3 [fapiao]: `zh` must be non-empty text on one line",
        "glossary.yaml:4 [fapiao]: `chinese` must be the term in Chinese characters",
        "glossary.yaml:5: a term must be a mapping like `- term: business licence`",
    ]


def test_glossary_file_shape(tmp_path):
    assert problems(tmp_path, "- term: WFOE\n") == [
        "glossary.yaml: the glossary must be a mapping with a `terms:` list"
    ]
    assert problems(tmp_path, "terms: []\nwords: []\n") == [
        "glossary.yaml:2: unknown top-level key `words`"
    ]
    assert problems(tmp_path, "terms:\n  - term: [unclosed\n") == [
        "glossary.yaml:3: invalid YAML: the brackets opened on line 2 are never closed, or "
        "their items are not separated by commas (the YAML reader says: expected ',' or ']', "
        "but got '<stream end>')"
    ]


def test_glossary_error_has_the_first_line(tmp_path):
    with pytest.raises(GlossaryError) as info:
        Glossary.load(write(tmp_path, VALID + "    xx: y\n"))
    assert info.value.line == 7
    assert str(info.value) == (
        "glossary.yaml:7 [business licence]: unknown language code 'xx' (use ISO 639-1, e.g. zh)"
    )


def test_missing_glossary_file(tmp_path):
    with pytest.raises(GlossaryError, match="cannot read the file"):
        Glossary.load(tmp_path / "nope.yaml")


def test_knowledge_glossary_loads_and_renders():
    glossary = Glossary.load(REPO / "knowledge" / "glossary.yaml")
    assert 30 <= len(glossary.terms) <= 45
    languages = {lang for term in glossary.terms for lang in term.renderings}
    assert languages == {"zh", "ru", "ar", "fr", "es"}
    out = translate_markdown(
        "Your WFOE needs a business licence and a Z visa.",
        lambda s: s,
        glossary=glossary,
        target="es",
    )
    assert out == "Your WFOE needs a licencia comercial (营业执照) and a visado Z."
