"""`python -m bot staff ...` and `web --help` through click's CliRunner, on a real database."""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner

from bot.accounts import Accounts
from bot.cli import main
from bot.config import ConfigError, load_config
from tests.conftest import ROOT


@pytest.fixture
def cli(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text())

    def run(*args, input=None):
        return CliRunner().invoke(main, ["--config", str(config), *args], input=input)

    run.database = tmp_path / "data" / "bot.db"
    return run


def test_add_list_password_remove(cli):
    assert "No accounts yet" in cli("staff", "list").output
    result = cli("staff", "add", "alice", "--role", "staff")
    assert result.exit_code == 0, result.output
    assert "staff password alice" in result.output
    assert cli("staff", "add", "bob", "--role", "manager").exit_code == 0
    listed = cli("staff", "list").output
    assert "alice" in listed and "staff" in listed and "no password yet" in listed
    assert "bob" in listed and "manager" in listed

    result = cli("staff", "password", "alice", input="a long passphrase\n")
    assert result.exit_code == 0, result.output
    accounts = Accounts(cli.database)
    try:
        assert accounts.login("alice", "a long passphrase", "127.0.0.1", 1) is not None
        assert accounts.login("alice", "another passphrase", "127.0.0.2", 1) is None
        stored = accounts.db.execute("SELECT password_hash FROM staff WHERE name='alice'")
        assert stored.fetchone()[0].startswith("$argon2id$")
        result = cli("staff", "remove", "alice")
        assert result.exit_code == 0 and "Removed alice" in result.output
        assert accounts.login("alice", "a long passphrase", "127.0.0.3", 1) is None
        actions = [row["action"] for row in accounts.audit_log()]
    finally:
        accounts.close()
    assert actions == ["staff.remove", "staff.password", "staff.add", "staff.add"]
    assert "alice" not in cli("staff", "list").output


def test_staff_commands_record_who_ran_them_as_the_triage_commands_do(cli):
    """`staff add`, `password` and `remove` were audited as a bare `cli`, while the queue's
    triage from the CLI says who: now they take `--as NAME` too and are recorded as
    "NAME (CLI)", the login name when it is not given."""
    me = f"{getpass.getuser()} (CLI)"
    assert cli("staff", "add", "alice", "--role", "staff", "--as", "Ann Lee").exit_code == 0
    assert (
        cli("staff", "password", "alice", "--as", "bo", input="a long passphrase\n").exit_code == 0
    )
    assert cli("staff", "add", "carol", "--role", "manager").exit_code == 0
    assert cli("staff", "remove", "alice").exit_code == 0
    accounts = Accounts(cli.database)
    try:
        rows = [(r["actor"], r["action"], r["target"]) for r in reversed(accounts.audit_log())]
    finally:
        accounts.close()
    assert rows == [
        ("Ann Lee (CLI)", "staff.add", "alice"),
        ("bo (CLI)", "staff.password", "alice"),
        (me, "staff.add", "carol"),
        (me, "staff.remove", "alice"),
    ]
    for command in ("add", "password", "remove"):
        assert "--as NAME" in cli("staff", command, "--help").output


def test_an_account_change_always_names_who_made_it(cli):
    """`Accounts.add`, `remove` and `set_password` recorded a nameless "cli" when their
    caller gave no actor: now the actor is required, and a call without one changes
    nothing."""
    assert cli("staff", "list").exit_code == 0  # the database, migrated
    accounts = Accounts(cli.database)
    try:
        accounts.add("alice", "staff", actor="Ann Lee (CLI)")
        with pytest.raises(TypeError):
            accounts.add("bob", "staff")  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            accounts.set_password("alice", "a long passphrase")  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            accounts.remove("alice")  # type: ignore[call-arg]
        names = [row["name"] for row in accounts.all()]
        rows = [(r["actor"], r["action"]) for r in accounts.audit_log()]
    finally:
        accounts.close()
    assert names == ["alice"]
    assert rows == [("Ann Lee (CLI)", "staff.add")]


def test_bad_input_is_a_clear_error_and_changes_nothing(cli):
    result = cli("staff", "add", "bad name!", "--role", "staff")
    assert result.exit_code == 1 and "not a valid account name" in result.output
    result = cli("staff", "add", "carol", "--role", "admin")
    assert result.exit_code == 2 and "'admin' is not one of" in result.output
    assert cli("staff", "add", "carol", "--role", "staff").exit_code == 0
    result = cli("staff", "add", "carol", "--role", "manager")
    assert result.exit_code == 1 and "exists already" in result.output
    # staff log in as "Carol" or "carol" alike: no second account that differs only in case
    result = cli("staff", "add", "Carol", "--role", "manager")
    assert result.exit_code == 1 and "exists already as 'carol'" in result.output
    result = cli("staff", "password", "carol", input="short\n")
    assert result.exit_code == 1 and "10 to 1000 characters" in result.output
    result = cli("staff", "password", "dave", input="a long passphrase\n")
    assert result.exit_code == 1 and "no account named 'dave'" in result.output
    result = cli("staff", "remove", "dave")
    assert result.exit_code == 1 and "no account named 'dave'" in result.output
    listed = cli("staff", "list").output
    assert "carol" in listed and "manager" not in listed and "no password yet" in listed


def test_web_help_names_its_options(cli):
    result = cli("web", "--help")
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
    assert cli("web", "--port", "0").exit_code == 2


@pytest.mark.parametrize(
    "line, message",
    [
        ("port = 0", "[web] port must be between 1 and 65535"),
        ("port = 70000", "[web] port must be between 1 and 65535"),
        ("session_hours = 0", "[web] session_hours must be between 1 and 720"),
        ("secure_cookies = 1", "[web] secure_cookies must be true or false"),
        ('host = " "', "[web] host must be a host name"),
    ],
)
def test_web_config_is_checked(tmp_path, line, message):
    path = tmp_path / "config.toml"
    path.write_text(f"[web]\n{line}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert message in str(error.value)


def test_web_config_defaults():
    web = load_config(ROOT / "config.toml", environ={}).web
    assert (web.host, web.port, web.session_hours, web.secure_cookies) == (
        "127.0.0.1",
        8080,
        12,
        False,
    )


def test_a_new_password_mentions_ended_sessions_only_when_there_were_some(cli):
    """A brand-new account has no sessions: "its old sessions are ended" was said anyway."""
    assert cli("staff", "add", "alice", "--role", "staff").exit_code == 0
    first = cli("staff", "password", "alice", input="a long passphrase\n")
    assert first.exit_code == 0 and first.output.strip() == "Password set for alice."
    accounts = Accounts(cli.database)
    try:
        assert accounts.login("alice", "a long passphrase", "127.0.0.1", 1) is not None
    finally:
        accounts.close()
    again = cli("staff", "password", "alice", input="another long passphrase\n")
    assert "its 1 old session is ended (logged out)" in again.output
