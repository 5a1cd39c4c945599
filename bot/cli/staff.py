"""`python -m bot staff ...`: accounts for the web console (`python -m bot web`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot.accounts import ROLES, AccountError, Accounts
from bot.cli.common import AS_OPTION, cli_actor, open_storage
from bot.config import Config


@click.group()
def staff() -> None:
    """Manage the web console's accounts: managers read, staff also change things."""


@contextmanager
def _accounts(config: Config) -> Iterator[Accounts]:
    storage = open_storage(config, create=True)
    assert storage is not None
    with storage:
        accounts = Accounts(storage.path)
        try:
            yield accounts
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            accounts.close()


@staff.command()
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="manager: reads the console; staff: also attaches and ignores questions.",
)
@AS_OPTION
@click.pass_obj
def add(config: Config, name: str, role: str, actor: str | None) -> None:
    """Create the account NAME; it can log in once `staff password NAME` sets a password.
    Recorded in the audit log as done by you (--as).

    Example: python -m bot staff add alice --role staff
    """
    with _accounts(config) as accounts:
        accounts.add(name, role, actor=cli_actor(actor))
    click.echo(f"Added {name} ({role}). Now set a password: python -m bot staff password {name}")


@staff.command("list")
@click.pass_obj
def list_(config: Config) -> None:
    """List the accounts with their role and when their password was set (UTC).

    Example: python -m bot staff list
    """
    with _accounts(config) as accounts:
        rows = accounts.all()
    if not rows:
        click.echo("No accounts yet: python -m bot staff add NAME --role staff")
        return
    for row in rows:
        when = row["password_changed"] or "no password yet"
        click.echo(f"{row['name']:<20} {row['role']:<8} {when}")


@staff.command()
@click.argument("name")
@AS_OPTION
@click.pass_obj
def remove(config: Config, name: str, actor: str | None) -> None:
    """Delete the account NAME and end its sessions. Recorded in the audit log as done by
    you (--as).

    Example: python -m bot staff remove alice
    """
    with _accounts(config) as accounts:
        accounts.remove(name, actor=cli_actor(actor))
    click.echo(f"Removed {name}.")


@staff.command()
@click.argument("name")
@AS_OPTION
@click.pass_obj
def password(config: Config, name: str, actor: str | None) -> None:
    """Set the password of NAME (asked twice on a terminal, else the first line of
    standard input) and end its sessions. Recorded in the audit log as done by you (--as).

    Example: echo 'a long passphrase' | python -m bot staff password alice
    """
    if sys.stdin.isatty():
        secret = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    with _accounts(config) as accounts:
        ended = accounts.set_password(name, secret, actor=cli_actor(actor))
    if ended == 0:
        click.echo(f"Password set for {name}.")
    else:
        sessions = "session is" if ended == 1 else "sessions are"
        click.echo(f"Password set for {name}; its {ended} old {sessions} ended (logged out).")
