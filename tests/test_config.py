"""Tests for bot/config.py: config.toml read once into frozen, typed objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import messages
from bot.config import (
    TOKEN_ENV,
    Config,
    ConfigError,
    KnowledgeConfig,
    LanguagesConfig,
    MatchingConfig,
    StorageConfig,
    TelegramConfig,
    load_config,
)

REPO = Path(__file__).resolve().parents[1]
# The languages the sentence encoder understands: supported by default, each with curated words.
ENCODER_LANGUAGES = ("en", "zh", "ru", "ar", "fr", "es", "de", "it", "ja", "ko", "nl", "pl", "pt")
ENCODER_LANGUAGES += ("th", "tr")


def config_error(path: Path) -> str:
    """The message of the ConfigError that loading `path` raises."""
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    return str(info.value)


def write_config(folder: Path, text: str, name: str = "config.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    base = Path.cwd()
    assert config.knowledge == KnowledgeConfig(
        dir=base / "knowledge", language="en", cache_dir=base / ".cache"
    )
    assert config.matching == MatchingConfig()
    assert config.matching.answer_threshold == 0.30
    assert config.matching.suggest_threshold == 0.10
    assert config.languages == LanguagesConfig()
    assert config.languages.supported == ENCODER_LANGUAGES
    assert config.telegram == TelegramConfig()
    assert config.storage == StorageConfig(database=base / "data" / "bot.db", retention_days=365)
    assert config.token is None


def test_config_toml_in_working_directory_is_read_by_default(tmp_path, monkeypatch):
    write_config(tmp_path, '[knowledge]\nlanguage = "fr"\n[matching]\nmax_suggestions = 5\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.knowledge.language == "fr"
    assert config.matching.max_suggestions == 5


def test_repository_config_loads():
    config = load_config(REPO / "config.toml", environ={})
    assert config.knowledge.dir == REPO / "knowledge"
    assert config.knowledge.language == "en"
    assert config.knowledge.cache_dir == REPO / ".cache"
    assert config.matching == MatchingConfig()  # the file states the defaults
    assert config.matching.classifier_threshold == 0.70
    assert config.matching.min_similarity == 0.45
    assert config.matching.max_suggestions == 3
    assert config.languages.supported == ENCODER_LANGUAGES
    assert config.languages.min_confidence == 0.80
    assert config.telegram.staff_chat_id == 0
    assert config.telegram.staff_user_ids == ()
    assert config.storage.database == REPO / "data" / "bot.db"
    assert config.storage.retention_days == 365


def test_values_are_read_with_their_types(tmp_path):
    path = write_config(
        tmp_path,
        """
[matching]
answer_threshold = 1
suggest_threshold = 0.5
lexical_weight = 2
max_question_chars = 200
[telegram]
base_url = "http://localhost:8081/bot"
staff_chat_id = -100123
staff_user_ids = [11, 22]
[storage]
retention_days = 30
audit_retention_days = 400
""",
    )
    config = load_config(path, environ={})
    assert config.matching.answer_threshold == 1.0
    assert isinstance(config.matching.answer_threshold, float)
    assert config.matching.suggest_threshold == 0.5
    assert config.matching.lexical_weight == 2.0
    assert config.matching.max_question_chars == 200
    assert config.telegram.base_url == "http://localhost:8081/bot"
    assert config.telegram.staff_chat_id == -100123
    assert config.telegram.staff_user_ids == (11, 22)
    assert config.storage.retention_days == 30
    assert config.storage.audit_retention_days == 400


def test_relative_paths_are_resolved_against_the_config_folder(tmp_path, monkeypatch):
    path = write_config(
        tmp_path / "conf",
        """
[knowledge]
dir = "kb"
cache_dir = "/var/cache/faq"
[storage]
database = "../state/bot.db"
""",
        name="bot.toml",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path, environ={})
    folder = (tmp_path / "conf").resolve()
    assert config.knowledge.dir == folder / "kb"
    assert config.knowledge.cache_dir == Path("/var/cache/faq")
    assert config.storage.database == folder / ".." / "state" / "bot.db"


def test_default_paths_are_resolved_against_the_config_folder(tmp_path, monkeypatch):
    path = write_config(tmp_path / "conf", "[matching]\nmax_suggestions = 2\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(path, environ={})
    folder = (tmp_path / "conf").resolve()
    assert config.knowledge.dir == folder / "knowledge"
    assert config.knowledge.cache_dir == folder / ".cache"
    assert config.storage.database == folder / "data" / "bot.db"


def test_home_directory_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = write_config(tmp_path, '[storage]\ndatabase = "~/faq/bot.db"\n')
    config = load_config(path, environ={})
    assert config.storage.database == tmp_path / "home" / "faq" / "bot.db"


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("knowledge", "dir", "5"),
        ("knowledge", "dir", '""'),
        ("knowledge", "language", "5"),
        ("knowledge", "cache_dir", "[]"),
        ("matching", "answer_threshold", '"high"'),
        ("matching", "answer_threshold", "true"),
        ("matching", "max_suggestions", "2.5"),
        ("matching", "max_suggestions", "true"),
        ("matching", "lexical_weight", '"high"'),
        ("matching", "min_similarity", "[0.5]"),
        ("languages", "supported", '"en"'),
        ("languages", "supported", '["en", 1]'),
        ("languages", "min_confidence", '"0.8"'),
        ("telegram", "base_url", "1"),
        ("telegram", "staff_chat_id", '"-100123"'),
        ("telegram", "staff_user_ids", '["11"]'),
        ("telegram", "staff_user_ids", "[true]"),
        ("storage", "database", "false"),
        ("storage", "retention_days", '"365"'),
    ],
)
def test_wrong_type_names_the_key(tmp_path, section, key, value):
    path = write_config(tmp_path, f"[{section}]\n{key} = {value}\n")
    message = config_error(path)
    assert f"[{section}] {key}" in message


def test_unknown_section_is_named(tmp_path):
    path = write_config(tmp_path, '[knowledge]\nlanguage = "en"\n[telegarm]\nbase_url = "x"\n')
    message = config_error(path)
    assert "telegarm" in message
    assert "unknown section" in message


def test_unknown_key_is_named(tmp_path):
    path = write_config(tmp_path, "[matching]\nanswer_treshold = 0.7\n")
    message = config_error(path)
    assert "[matching]" in message
    assert "answer_treshold" in message


def test_section_that_is_not_a_table_is_named(tmp_path):
    path = write_config(tmp_path, 'knowledge = "kb"\n')
    message = config_error(path)
    assert "[knowledge] must be a table" in message


@pytest.mark.parametrize(
    ("suggest", "answer"),
    [(0.7, 0.6), (-0.1, 0.6), (0.5, 1.2), (1.5, 1.6)],
)
def test_thresholds_out_of_order_are_rejected(tmp_path, suggest, answer):
    path = write_config(
        tmp_path, f"[matching]\nsuggest_threshold = {suggest}\nanswer_threshold = {answer}\n"
    )
    message = config_error(path)
    assert "suggest_threshold" in message
    assert "answer_threshold" in message


def test_equal_thresholds_are_accepted(tmp_path):
    path = write_config(tmp_path, "[matching]\nsuggest_threshold = 0.6\nanswer_threshold = 0.6\n")
    config = load_config(path, environ={})
    assert config.matching.suggest_threshold == config.matching.answer_threshold == 0.6


@pytest.mark.parametrize(
    ("line", "key"),
    [("max_suggestions = 0", "max_suggestions"), ("max_question_chars = 9", "max_question_chars")],
)
def test_too_small_limits_are_rejected(tmp_path, line, key):
    path = write_config(tmp_path, f"[matching]\n{line}\n")
    message = config_error(path)
    assert key in message


def test_min_confidence_outside_zero_to_one_is_rejected(tmp_path):
    path = write_config(tmp_path, "[languages]\nmin_confidence = 7\n")
    message = config_error(path)
    assert "min_confidence" in message


def test_invalid_toml_names_file_and_line(tmp_path):
    path = write_config(tmp_path, '[knowledge]\nlanguage = "en"\ndir = = "kb"\n')
    message = config_error(path)
    assert str(path) in message
    assert "line 3" in message


def test_non_utf8_file_is_a_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[knowledge]\nlanguage = "caf\xe9"\n')
    message = config_error(path)
    assert str(path) in message


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere" / "config.toml"
    message = config_error(path)
    assert "not found" in message
    assert str(path) in message


def test_unreadable_path_is_a_config_error(tmp_path):
    message = config_error(tmp_path)
    assert str(tmp_path) in message


def test_token_comes_from_environ_argument(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "999:FROM-PROCESS-ENV")
    path = write_config(tmp_path, "")
    config = load_config(path, environ={TOKEN_ENV: " 123456:SECRET-abc \n"})
    assert config.token == "123456:SECRET-abc"
    assert load_config(path, environ={}).token is None
    assert load_config(path, environ={TOKEN_ENV: "   "}).token is None


def test_token_falls_back_to_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "999:FROM-PROCESS-ENV")
    config = load_config(write_config(tmp_path, ""))
    assert config.token == "999:FROM-PROCESS-ENV"


def test_token_never_shown_in_repr(tmp_path):
    path = write_config(tmp_path, "")
    config = load_config(path, environ={TOKEN_ENV: "123456:SECRET-abc"})
    assert config.token == "123456:SECRET-abc"
    assert "SECRET" not in repr(config)
    assert "SECRET" not in str(config)
    assert "token=" not in repr(config)


def test_knowledge_language_is_added_to_supported_languages(tmp_path):
    path = write_config(
        tmp_path, '[knowledge]\nlanguage = "de"\n[languages]\nsupported = ["en", "fr"]\n'
    )
    config = load_config(path, environ={})
    assert config.languages.supported == ("de", "en", "fr")


def test_knowledge_language_already_supported_is_not_repeated(tmp_path):
    path = write_config(
        tmp_path, '[knowledge]\nlanguage = "fr"\n[languages]\nsupported = ["en", "fr"]\n'
    )
    config = load_config(path, environ={})
    assert config.languages.supported == ("en", "fr")


def test_config_is_frozen_and_with_knowledge_dir_replaces_only_the_folder(tmp_path):
    config = load_config(write_config(tmp_path, ""), environ={TOKEN_ENV: "1:x"})
    with pytest.raises(AttributeError):
        config.token = "2:y"  # type: ignore[misc]
    moved = config.with_knowledge_dir(tmp_path / "other")
    assert isinstance(moved, Config)
    assert moved.knowledge.dir == tmp_path / "other"
    assert moved.knowledge.language == config.knowledge.language
    assert moved.matching == config.matching
    assert moved.token == "1:x"
    assert config.knowledge.dir != moved.knowledge.dir


def test_the_second_encoder_can_be_turned_off_for_one_run(tmp_path):
    path = write_config(tmp_path, '[matching]\nsecond_encoder = "e5"\n')
    assert load_config(path, environ={}).matching.second_encoder == "e5"
    env = {"FAQ_BOT_SECOND_ENCODER": "none"}
    assert load_config(path, environ=env).matching.second_encoder == "none"
    with pytest.raises(ConfigError, match="second_encoder"):
        load_config(path, environ={"FAQ_BOT_SECOND_ENCODER": "bert"})
    with pytest.raises(ConfigError, match="second_weight"):
        load_config(write_config(tmp_path, "[matching]\nsecond_weight = 1.5\n"), environ={})
    path = write_config(tmp_path, "[matching]\nsecond_threads = 1\n")
    assert load_config(path, environ={}).matching.second_threads == 1
    with pytest.raises(ConfigError, match="second_threads"):
        load_config(write_config(tmp_path, "[matching]\nsecond_threads = 0\n"), environ={})


def test_every_default_language_has_curated_words():
    assert sorted(ENCODER_LANGUAGES) == messages.available()


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("replay_max_age_seconds = -1", "replay_max_age_seconds"),
        ("replay_max_age_seconds = 86401", "replay_max_age_seconds"),
        ("staff_limit_messages = 0", "staff_limit_messages"),
        ("staff_limit_seconds = 0", "staff_limit_seconds"),
    ],
)
def test_telegram_limits_out_of_range_are_rejected(tmp_path, line, key):
    path = write_config(tmp_path, f"[telegram]\n{line}\n")
    assert key in config_error(path)


def test_telegram_reliability_settings_are_read(tmp_path):
    path = write_config(
        tmp_path,
        "[telegram]\nreplay_max_age_seconds = 0\nstaff_limit_messages = 5\n"
        "staff_limit_seconds = 60\n",
    )
    telegram = load_config(path, environ={}).telegram
    assert (telegram.replay_max_age_seconds, telegram.staff_limit_messages) == (0, 5)
    assert telegram.staff_limit_seconds == 60


def test_the_console_time_zone_is_an_iana_name(tmp_path):
    """Times were shown in UTC only; staff in China read them in China's time by default."""
    assert load_config(None, environ={}).web.timezone == "Asia/Shanghai"
    path = write_config(tmp_path, '[web]\ntimezone = "Europe/Berlin"\n')
    assert load_config(path, environ={}).web.timezone == "Europe/Berlin"
    for wrong in ("Mars/Olympus", "../etc/passwd", ""):
        message = config_error(write_config(tmp_path, f'[web]\ntimezone = "{wrong}"\n'))
        assert "[web] timezone" in message and "Asia/Shanghai" in message
