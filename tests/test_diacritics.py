from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bot.diacritics import AccentRestorer, unmarked
from bot.language import LanguageDetector
from tests.conftest import make_answerer
from tests.test_matching import matcher_for

PHRASINGS = [
    "Şirket nasıl kurulur?",
    "Çalışma izni için hangi belgeler gerekir?",
    "Não tenho conta no banco, está tudo bem?",
    "Esta empresa paga o imposto?",
    "Quel est le numéro fiscal ?",
    "Wie hoch ist die Gebühr für das Visum?",
    "Is VAT due on exports?",
]


def test_plain_words_get_the_accents_the_phrasings_give_them():
    r = AccentRestorer(PHRASINGS)
    assert r.restore("sirket nasil kurulur") == "şirket nasıl kurulur"
    assert r.restore("calisma izni belgeler") == "çalışma izni belgeler"
    assert r.restore("nao tenho conta") == "não tenho conta"
    assert r.restore("Gebuhr fur das Visum") == "Gebühr für das Visum"
    assert r.restore("Sirket kurma") == "Şirket kurma"  # a capital stays a capital


def test_words_that_are_words_without_accents_too_are_left_alone():
    r = AccentRestorer(PHRASINGS)
    # "esta" is a word of its own ("this") beside "está" ("is"): which one is meant is unknown.
    assert r.restore("esta empresa") == "esta empresa"
    # Acronyms, words no phrasing has, digits and accented words stay as typed.
    assert r.restore("VAT WFOE fapiao 2026") == "VAT WFOE fapiao 2026"
    assert r.restore("numéro şirket") == "numéro şirket"


def test_the_most_frequent_accented_form_wins():
    r = AccentRestorer(["número um", "número dois", "numéro trois"])
    assert r.restore("numero") == "número"


def test_nothing_to_learn_from_changes_nothing():
    assert AccentRestorer([]).restore("sirket nasil") == "sirket nasil"
    assert AccentRestorer(["only plain words"]).restore("sirket nasil") == "sirket nasil"


@given(st.text(max_size=60))
def test_restoring_only_ever_adds_marks(text):
    restored = AccentRestorer(PHRASINGS).restore(text)
    assert unmarked(restored).lower() == unmarked(text).lower()


TURKISH_KB = """\
entries:
  - id: work-permit
    question: How do I get a work permit?
    alternates: [work permit for a foreigner]
    answer: Your employer applies for it.
    tags: [visa]
    links: []
    reviewed: 2026-11-02
    translations:
      tr:
        question: Çalışma izni nasıl alınır?
        answer: İşvereniniz başvurur.
  - id: company-setup
    question: How do I set up a company?
    alternates: [register a company]
    answer: Register with the market regulator.
    tags: [company]
    links: []
    reviewed: 2026-11-02
    translations:
      tr:
        question: Şirket nasıl kurulur?
        answer: Piyasa düzenleme idaresine kayıt olun.
"""


def test_the_encoders_read_a_question_typed_without_accents_with_them(config, encoder, tmp_path):
    (tmp_path / "visa.yaml").write_text(TURKISH_KB, encoding="utf-8")
    question = "calisma izni nasil alinir"
    on = matcher_for(config, encoder, kb_dir=tmp_path).scores(question)[0]
    off = matcher_for(config, encoder, kb_dir=tmp_path, restore_accents=False).scores(question)[0]
    assert on.entry_id == off.entry_id == "work-permit"
    # Without its accents USE hardly knows the Turkish phrasing it spells (cosine 0.42);
    # restored, the question is that phrasing but for its capital and question mark (0.88).
    assert off.semantic < 0.6 < 0.8 < on.semantic


def test_a_question_typed_without_accents_is_detected_in_its_language(config, encoder, tmp_path):
    (tmp_path / "visa.yaml").write_text(TURKISH_KB, encoding="utf-8")
    detector = LanguageDetector(("en", "tr"))
    off = replace(config, matching=replace(config.matching, restore_accents=False))
    question = "calisma izni nasil alinir"
    # Without its letters the detector is unsure of the Turkish and the reply falls back to
    # English; restored, the detector reads Turkish and the Turkish answer is given.
    assert make_answerer(off, tmp_path, encoder, detector).language_for(question)[0] == "en"
    answerer = make_answerer(config, tmp_path, encoder, detector)
    assert answerer.language_for(question) == ("tr", "tr")
    answer = answerer.ask(question)
    assert (answer.id, answer.language) == ("work-permit", "tr")
    assert answer.answer == "İşvereniniz başvurur."
