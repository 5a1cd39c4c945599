"""`faq-bot init DIR`: a folder to run the bot from, with a commented config.toml and the
starter knowledge base.

The files come from the package: the wheel carries the repository's config.toml and
knowledge/*.yaml as `bot/_starter/` (pyproject.toml maps that package onto the repository's
root, so nothing is duplicated in the repository); in a checkout they are read from the
checkout itself.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import click

CHECKOUT = Path(__file__).resolve().parents[2]


def starter() -> Traversable:
    """The folder holding `config.toml` and `knowledge/`: the packaged copy, else the checkout."""
    packaged = resources.files("bot") / "_starter"
    if packaged.is_dir() and (packaged / "config.toml").is_file():
        return packaged
    if (CHECKOUT / "config.toml").is_file() and (CHECKOUT / "knowledge").is_dir():
        return CHECKOUT  # a Path is a Traversable
    raise click.ClickException(
        "the starter files are missing from this installation: reinstall faq-bot"
    )


def starter_files() -> dict[str, bytes]:
    """Relative path -> content of every file `init` writes."""
    root = starter()
    files = {"config.toml": (root / "config.toml").read_bytes()}
    knowledge = root / "knowledge"
    for item in sorted(knowledge.iterdir(), key=lambda t: t.name):
        if item.name.endswith(".yaml") and item.is_file():
            files[f"knowledge/{item.name}"] = item.read_bytes()
    return files


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
def init(directory: Path, force: bool) -> None:
    """Create DIRECTORY with a commented config.toml and the starter knowledge base
    (knowledge/*.yaml), ready for `faq-bot ask`, `faq-bot chat` or `faq-bot run`.

    Existing files are left alone (and nothing is written) unless --force is given. Run the
    bot from DIRECTORY, or point at its config with `faq-bot --config DIRECTORY/config.toml`.

    Example: faq-bot init my-bot && cd my-bot && faq-bot ask "How do I open a bank account?"
    """
    files = starter_files()
    existing = [name for name in files if (directory / name).exists()]
    if existing and not force:
        raise click.ClickException(
            f"{directory} already has {', '.join(existing)}: nothing written "
            "(--force overwrites them)"
        )
    try:
        for name, content in files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {directory}: {exc}") from exc
    entries = len(files) - 1
    click.echo(f"Wrote {directory / 'config.toml'} and {entries} knowledge files.")
    click.echo(
        f'Next: cd {directory} && faq-bot ask "How do I open a company bank account?"\n'
        "      faq-bot chat      (the terminal chat)\n"
        "      TELEGRAM_BOT_TOKEN=... faq-bot run      (on Telegram)"
    )
