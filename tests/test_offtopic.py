"""Off-topic examples (knowledge/offtopic.yaml): loading, `kb check`, and the matcher's gate."""

import shutil
from dataclasses import replace

import numpy as np
import pytest

from bot.knowledge import LANGUAGE_CODES, KnowledgeError, load_knowledge
from bot.matching import ANSWERED, UNANSWERED, Candidate, Matcher
from bot.normalize import normalize
from bot.offtopic import FILE, OFFTOPIC, add_examples, load_offtopic, remove_examples
from tests.conftest import ROOT, SMALL_KB
from tests.test_terminal_chat import config_file, python_m_bot  # noqa: F401

WEATHER = {
    "en": [
        "will it rain tomorrow",
        "weather forecast for the weekend",
        "how hot will it be on saturday",
        "is it going to snow tonight",
        "what's the temperature outside",
        "do I need an umbrella today",
    ],
    "fr": ["il va pleuvoir demain ?", "météo du week-end", "quel temps fera-t-il samedi"],
    "ru": ["будет ли дождь завтра", "прогноз погоды на выходные", "какая погода в субботу"],
}


def write_examples(folder, examples=WEATHER):
    lines = ["examples:"]
    for lang, texts in examples.items():
        lines.append(f"  {lang}:")
        lines += [f'    - "{t}"' for t in texts]
    (folder / FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def kb_with_examples(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(SMALL_KB, folder)
    write_examples(folder)
    return folder


def matcher(config, encoder, folder, **matching):
    kb = load_knowledge(folder, "en")
    cfg = replace(config.matching, **matching)
    return Matcher(
        kb, cfg, encoder, config.knowledge.cache_dir, offtopic=load_offtopic(folder, LANGUAGE_CODES)
    )


def test_examples_load_as_one_class_per_language(kb_with_examples):
    examples = load_offtopic(kb_with_examples, LANGUAGE_CODES)
    assert len(examples) == 12
    assert {p.entry_id for p in examples} == {OFFTOPIC}
    assert {p.language for p in examples} == {"en", "fr", "ru"}


def test_examples_taken_out_again_leave_the_rest_of_the_file_as_it_was(kb_with_examples):
    """Undoing an Off-topic: the examples equal to the questions put back (normalised, in
    any language) go; comments, the other examples and a language's list left empty too."""
    path = kb_with_examples / FILE
    path.write_text("# Off-topic: weather.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    kb = load_knowledge(kb_with_examples, "en")
    added, _ = add_examples(kb_with_examples, [("de", "Wird es morgen regnen?")], kb)
    assert added == [("de", "Wird es morgen regnen?")]
    removed = remove_examples(
        kb_with_examples, ["wird es morgen REGNEN", "Will it rain tomorrow?", "not an example"]
    )
    assert removed == [("en", "will it rain tomorrow"), ("de", "Wird es morgen regnen?")]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Off-topic: weather.\nexamples:\n  en:\n")
    assert "de:" not in text and "will it rain tomorrow" not in text
    left = load_offtopic(kb_with_examples, LANGUAGE_CODES)
    assert len(left) == 11 and {p.language for p in left} == {"en", "fr", "ru"}
    assert remove_examples(kb_with_examples, ["will it rain tomorrow"]) == []
    assert remove_examples(kb_with_examples / "nowhere", ["météo du week-end"]) == []


def test_no_file_means_no_examples_and_the_file_is_not_a_topic(kb_with_examples):
    assert load_offtopic(SMALL_KB) == ()
    assert len(load_knowledge(kb_with_examples).entries) == len(load_knowledge(SMALL_KB).entries)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("examples: [a, b]\n", "map language codes"),
        ("questions:\n  en: [a]\n", "one key, `examples`"),
        ("examples:\n  xx: [weather]\n", "unknown language code 'xx'"),
        ("examples:\n  en: weather\n", "`en` must be a list"),
        ("examples:\n  en: ['', ok]\n", "`en`: empty or not text"),
        (
            "examples:\n  en: [a\n",
            "offtopic.yaml:3: invalid YAML: the brackets opened on line 2 are never closed",
        ),
    ],
)
def test_a_broken_file_is_a_knowledge_base_problem_with_a_clear_message(tmp_path, text, message):
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_offtopic(tmp_path, LANGUAGE_CODES)
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems


def test_off_topic_questions_are_held_back_and_never_returned_as_an_entry(
    config, encoder, kb_with_examples
):
    # Gate as permissive as it can be about everything else: only it can hold these back.
    loose = dict(min_similarity=0.0, answer_threshold=0.0, classifier_threshold=0.0)
    m = matcher(config, encoder, kb_with_examples, **loose)
    plain = matcher(config, encoder, SMALL_KB, **loose)
    for question in ("will it rain on sunday?", "прогноз погоды на завтра"):
        assert plain.match(question).status == ANSWERED  # nothing else stops it
        ranked = m.scores(question, limit=10)
        assert OFFTOPIC not in [c.entry_id for c in ranked]
        assert ranked[0].offtopic > config.matching.offtopic_threshold
        assert m.match(question).status == UNANSWERED, question
    assert plain.scores("will it rain on sunday?")[0].offtopic == 0.0


def test_in_domain_questions_are_ranked_as_without_examples(config, encoder, kb_with_examples):
    m, plain = matcher(config, encoder, kb_with_examples), matcher(config, encoder, SMALL_KB)
    for question in ("How do I open a company bank account?", "开设对公账户", "fapiao types"):
        with_gate, without = m.match(question), plain.match(question)
        assert with_gate.status == without.status == ANSWERED
        assert with_gate.best.entry_id == without.best.entry_id
        assert with_gate.best.score == without.best.score
        assert with_gate.best.offtopic < config.matching.offtopic_threshold


def test_the_threshold_decides_and_one_turns_the_gate_off(config, encoder):
    m = Matcher(load_knowledge(SMALL_KB), config.matching, encoder, config.knowledge.cache_dir)
    sure = Candidate("bank-account", 0.99, 0.99, 0.9, 0.9, "x", "en", offtopic=0.6)
    assert m.decide([sure]).status == UNANSWERED
    assert m.decide([sure], replace(config.matching, offtopic_threshold=1.0)).status == ANSWERED
    assert m.decide([replace(sure, offtopic=0.2)]).status == ANSWERED


def test_an_entry_the_classifier_is_sure_of_and_e5_finds_close_needs_a_sure_gate(config, encoder):
    """ "qué es el fapiao y cómo se emite" (the fapiao entry at 0.998, e5 cosine 0.82) was
    held back at a gate probability of 0.24: such an entry is vetoed only by a gate that
    finds the question more likely off-topic than not."""
    from bot.matching import OFFTOPIC_SURE

    m = Matcher(load_knowledge(SMALL_KB), config.matching, encoder, config.knowledge.cache_dir)
    cfg = config.matching
    sure = Candidate(
        "fapiao", 0.998, 0.998, 0.7, 0.68, "x", "es", offtopic=0.24, semantic_second=0.82
    )
    assert cfg.offtopic_threshold < sure.offtopic < OFFTOPIC_SURE
    assert m.decide([sure]).status == ANSWERED
    assert m.decide([replace(sure, offtopic=OFFTOPIC_SURE + 0.01)]).status == UNANSWERED
    unsure = replace(sure, classifier=cfg.offtopic_override - 0.01)  # still answerable
    assert unsure.classifier >= cfg.classifier_threshold
    assert m.decide([unsure]).status == UNANSWERED
    far = replace(sure, semantic_second=cfg.confirm_similarity - 0.01)
    assert m.decide([far]).status == UNANSWERED
    assert m.decide([replace(sure, semantic_second=0.0)]).status == UNANSWERED  # USE alone
    assert m.decide([sure], replace(cfg, offtopic_override=1.0)).status == UNANSWERED  # off
    assert (
        m.decide([sure], replace(cfg, offtopic_override=1.0, offtopic_threshold=0.3)).status
        == ANSWERED
    )


def test_kb_check_counts_the_examples_and_warns_about_one_that_is_a_phrasing(
    config_file,  # noqa: F811
    kb_with_examples,
):
    examples = {**WEATHER, "en": [*WEATHER["en"], "What is a fapiao?"]}
    write_examples(kb_with_examples, examples)
    done = python_m_bot(config_file, "kb", "check", "--kb", str(kb_with_examples))
    assert done.returncode == 0, done.stderr
    assert "13 off-topic examples in 3 languages" in done.stdout
    assert "'What is a fapiao?' (en) is also a phrasing of entry fapiao" in done.stderr
    (kb_with_examples / FILE).write_text("examples:\n  xx: [rain]\n", encoding="utf-8")
    broken = python_m_bot(config_file, "kb", "check", "--kb", str(kb_with_examples))
    assert broken.returncode == 1
    assert "offtopic.yaml: unknown language code 'xx'" in broken.stderr


def test_the_shipped_examples_cover_every_language_and_are_no_entrys_phrasing():
    examples = load_offtopic(ROOT / "knowledge", LANGUAGE_CODES)
    kb = load_knowledge(ROOT / "knowledge")
    assert {p.language for p in examples} >= {"en", "zh", "ru", "ar", "fr", "es"}
    assert min(sum(p.language == lang for p in examples) for lang in ("en", "zh", "ar")) >= 30
    phrasings = {normalize(p.text) for p in kb.phrasings()}
    assert not [p.text for p in examples if normalize(p.text) in phrasings]


def test_after_an_edit_the_gate_starts_from_the_previous_one_and_still_holds_back(
    config, encoder, kb_with_examples
):
    from bot.curation import add_alternates

    loose = dict(min_similarity=0.0, answer_threshold=0.0, classifier_threshold=0.0)
    first = matcher(config, encoder, kb_with_examples, **loose)
    add_alternates(kb_with_examples, "fapiao", ["how do I get an invoice from a supplier"])
    kb = load_knowledge(kb_with_examples)
    offtopic = load_offtopic(kb_with_examples, LANGUAGE_CODES)
    cfg = replace(config.matching, **loose)
    second = Matcher(kb, cfg, encoder, None, offtopic=offtopic, previous=first)
    assert first.gate is not None and second.gate is not None
    assert second.gate.weights.shape == (first.gate.weights.shape[0], len(second.entry_ids) + 1)
    assert second.match("will it rain on sunday?").status == UNANSWERED
    assert second.match("how do I get an invoice from a supplier").best.entry_id == "fapiao"


def test_a_restart_embeds_neither_phrasings_nor_examples_again(config, tmp_path, kb_with_examples):
    from bot.encoder import Encoder

    cache = tmp_path / "cache"
    cfg = replace(config, knowledge=replace(config.knowledge, cache_dir=cache))
    first = matcher(cfg, Encoder(), kb_with_examples)

    class NoEncoding(Encoder):
        def encode(self, texts, batch_size=256):
            raise AssertionError(f"embedded again: {texts[:3]}")

    again = matcher(cfg, NoEncoding(), kb_with_examples)
    assert np.array_equal(first.embeddings, again.embeddings)
    assert np.array_equal(first.offtopic_raw[0], again.offtopic_raw[0])
    again.encoder = first.encoder  # questions are embedded, of course
    assert again.scores("will it rain on sunday?")[0].offtopic > 0.5
