"""Bad configuration files through the real command line: each one is refused with exit
status 1 and one line naming the file, the key and what is allowed; never a traceback,
never a bot that starts with a value that silently breaks it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import ROOT

# (config text, words the one-line message must contain)
BAD = [
    # wrong types
    ("[matching]\nanswer_threshold = 'high'", "[matching] answer_threshold must be a number"),
    ("[matching]\nmax_suggestions = 2.5", "[matching] max_suggestions must be a whole number"),
    ("[matching]\nmax_suggestions = true", "[matching] max_suggestions must be a whole number"),
    ("[matching]\nmin_similarity = [0.5]", "[matching] min_similarity must be a number"),
    ("[knowledge]\ndir = 5", "[knowledge] dir must be a non-empty path"),
    ("[knowledge]\nlanguage = 5", "[knowledge] language must be a string"),
    ("[knowledge]\ncache_dir = []", "[knowledge] cache_dir must be a non-empty path"),
    ("[languages]\nsupported = 'en'", "[languages] supported must be a list"),
    ("[languages]\nsupported = ['en', 1]", "[languages] supported must be a list of strs"),
    ("[telegram]\nstaff_chat_id = '-100123'", "[telegram] staff_chat_id must be a whole number"),
    ("[telegram]\nstaff_user_ids = ['11']", "[telegram] staff_user_ids must be a list of ints"),
    ("[telegram]\nstaff_user_ids = 11", "[telegram] staff_user_ids must be a list"),
    ("[telegram]\nbase_url = 1", "[telegram] base_url must be a string"),
    ("[translation]\nlive = 'yes'", "[translation] live must be true or false"),
    ("[translation]\nshow_marker = 1", "[translation] show_marker must be true or false"),
    ("[storage]\nretention_days = '365'", "[storage] retention_days must be a whole number"),
    ("[storage]\ndatabase = false", "[storage] database must be a non-empty path"),
    ("[matching]\nanswer_threshold = 2026-11-26", "[matching] answer_threshold must be a number"),
    # out of range, zero, negative, not finite
    ("[telegram]\nrate_limit_messages = 0", "[telegram] rate_limit_messages must be between 1"),
    ("[telegram]\nrate_limit_messages = -5", "[telegram] rate_limit_messages must be between"),
    ("[telegram]\nrate_limit_seconds = 0", "[telegram] rate_limit_seconds must be between 1"),
    ("[telegram]\nrate_limit_seconds = 99999999", "[telegram] rate_limit_seconds must be between"),
    ("[storage]\nretention_days = 0", "[storage] retention_days must be between 1"),
    ("[storage]\nretention_days = -30", "[storage] retention_days must be between 1"),
    ("[storage]\nretention_days = 100000000000", "[storage] retention_days must be between"),
    ("[storage]\naudit_retention_days = 0", "[storage] audit_retention_days must be between 1"),
    ("[translation]\nbeam_size = 0", "[translation] beam_size must be between 1 and 16"),
    ("[translation]\nbeam_size = 64", "[translation] beam_size must be between 1 and 16"),
    ("[translation]\nthreads = 0", "[translation] threads must be between 1"),
    ("[translation]\nthreads = 100000", "[translation] threads must be between 1"),
    ("[matching]\nmax_suggestions = 0", "[matching] max_suggestions must be between 1 and 10"),
    ("[matching]\nmax_suggestions = 500", "[matching] max_suggestions must be between 1 and 10"),
    ("[matching]\nmax_question_chars = 9", "[matching] max_question_chars must be between 10"),
    ("[matching]\nmax_question_chars = -1", "[matching] max_question_chars must be between"),
    ("[matching]\nlexical_weight = -1", "[matching] lexical_weight must be between 0"),
    ("[matching]\nlexical_weight = inf", "[matching] lexical_weight must be a finite number"),
    ("[matching]\nlexical_weight = nan", "[matching] lexical_weight must be a finite number"),
    ("[matching]\nanswer_threshold = nan", "[matching] answer_threshold must be a finite"),
    ("[telegram]\nstaff_chat_id = 99999999999999999999", "[telegram] staff_chat_id must be"),
    ("[telegram]\nstaff_user_ids = [0]", "[telegram] staff_user_ids must hold Telegram user"),
    ("[telegram]\nstaff_user_ids = [-5]", "[telegram] staff_user_ids must hold Telegram user"),
    ("[telegram]\nstaff_user_ids = [11, 11]", "[telegram] staff_user_ids lists a value twice"),
    # thresholds outside 0..1 or out of order
    ("[matching]\nanswer_threshold = 1.5", "[matching] answer_threshold must be between 0 and 1"),
    ("[matching]\nclassifier_threshold = -0.1", "[matching] classifier_threshold must be"),
    ("[matching]\nmin_similarity = 2", "[matching] min_similarity must be between 0 and 1"),
    ("[matching]\nmin_lexical = -1", "[matching] min_lexical must be between 0 and 1"),
    ("[matching]\nsuggest_threshold = 1.01", "[matching] suggest_threshold must be between 0"),
    ("[matching]\nsuggest_threshold = 0.5\nanswer_threshold = 0.4", "suggest_threshold <="),
    ("[languages]\nmin_confidence = 7", "[languages] min_confidence must be between 0 and 1"),
    ("[languages]\nmin_confidence = -0.5", "[languages] min_confidence must be between 0 and 1"),
    # empty strings
    ("[knowledge]\ndir = ''", "[knowledge] dir must be a non-empty path"),
    ("[knowledge]\ndir = '   '", "[knowledge] dir must be a non-empty path"),
    ("[knowledge]\nlanguage = ''", "[knowledge] language '' is not a language code"),
    ("[storage]\ndatabase = ''", "[storage] database must be a non-empty path"),
    ("[translation]\npackages_dir = ''", "[translation] packages_dir must be a non-empty path"),
    ("[telegram]\nbase_url = ''", "[telegram] base_url must be an http(s) URL"),
    ("[languages]\nsupported = []", "[languages] supported must name at least one language"),
    ("[languages]\nsupported = ['']", "[languages] supported: '' is not a language code"),
    ('[storage]\ndatabase = "a\\u0000b"', "[storage] database must be a non-empty path"),
    # bad URLs
    ("[telegram]\nbase_url = 'api.telegram.org/bot'", "[telegram] base_url must be an http(s)"),
    ("[telegram]\nbase_url = 'ftp://api.telegram.org/bot'", "[telegram] base_url must be an"),
    ("[telegram]\nbase_url = 'https://'", "[telegram] base_url must be an http(s) URL"),
    ("[telegram]\nbase_url = 'https://api telegram.org/bot'", "[telegram] base_url must be"),
    ("[telegram]\nbase_url = 'https://api.telegram.org/bot?x=1'", "[telegram] base_url must"),
    ("[telegram]\nbase_url = 'http://localhost:99999/bot'", "[telegram] base_url has a bad port"),
    ("[telegram]\nbase_url = 'javascript:alert(1)'", "[telegram] base_url must be an http(s)"),
    # unknown languages
    ("[knowledge]\nlanguage = 'english'", "[knowledge] language 'english' is not a language"),
    ("[knowledge]\nlanguage = 'xx'", "[knowledge] language 'xx' is not a language code"),
    ("[languages]\nsupported = ['en', 'klingon']", "[languages] supported: 'klingon' is not"),
    ("[languages]\nsupported = ['en', 'EN']", "[languages] supported: 'EN' is not a language"),
    ("[languages]\nsupported = ['en', 'ru', 'en']", "[languages] supported lists a value twice"),
    # unknown keys and sections, wrong shapes, not TOML
    ("[matching]\nanswer_treshold = 0.7", "[matching] has unknown key: answer_treshold"),
    ("[telegram]\ntoken = '123:ABC'", "[telegram] has unknown key: token"),
    ("[telegarm]\nbase_url = 'x'", "unknown section: telegarm"),
    ("debug = true", "unknown section: debug"),
    ("knowledge = 'kb'", "[knowledge] must be a table"),
    ("[knowledge]\nlanguage = 'en'\ndir = = 'kb'", "line 3"),
    ("[matching]\nanswer_threshold = 0.3\nanswer_threshold = 0.4", "line 3"),
]


def _run(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path, CliRunner().invoke(main, ["--config", str(path), "models", "list"])


def test_the_table_is_big_enough():
    assert len(BAD) >= 48


@pytest.mark.parametrize("text, expected", BAD, ids=[t.replace("\n", " ") for t, _ in BAD])
def test_bad_config_is_one_clear_line(tmp_path, text, expected):
    path, result = _run(tmp_path, text)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # click's clean exit: no traceback
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: {path}")
    assert expected in lines[0]
    assert not (tmp_path / "data").exists()  # nothing was created from a bad file


def test_bad_config_in_a_real_process_has_no_traceback(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[telegram]\nrate_limit_messages = 0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "run"],
        capture_output=True,
        text=True,
        env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == (
        f"Error: {path}: [telegram] rate_limit_messages must be between 1 and 1000, not 0\n"
    )


def test_every_range_is_documented_as_allowed_by_the_shipped_config():
    from bot.config import load_config

    load_config(ROOT / "config.toml", environ={})  # the shipped values are all within range
