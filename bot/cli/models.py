"""`python -m bot models ...`: the offline translation models (Argos Translate packages)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.config import Config
from bot.translation import PIVOT, MachineTranslator, TranslationError, check_package_file


@click.group()
def models() -> None:
    """List and install offline translation models (Argos Translate packages)."""


def _translator(config: Config) -> MachineTranslator:
    t = config.translation
    return MachineTranslator(t.packages_dir, t.beam_size, t.threads)


@models.command("list")
@click.pass_obj
def list_(config: Config) -> None:
    """Installed pairs, pairs reachable through English, and which configured languages
    the knowledge base can be translated into.

    Example: python -m bot models list
    """
    translator = _translator(config)
    pairs = translator.pairs()
    click.echo(f"Models in {translator.packages_dir}:")
    for p in pairs:
        click.echo(f"  {p.source} -> {p.target}  version {p.version}")
    if not pairs:
        click.echo(
            "  none: install with `python -m bot models install --from-file "
            "PATH.argosmodel` (or `models install LANG` on a machine that is online)"
        )
    direct = {(p.source, p.target) for p in pairs}
    langs = sorted({p.source for p in pairs} | {p.target for p in pairs})
    pivots = [
        (a, b)
        for a in langs
        for b in langs
        if a != b and (a, b) not in direct and (a, PIVOT) in direct and (PIVOT, b) in direct
    ]
    if pivots:
        click.echo("Through English: " + ", ".join(f"{a} -> {b}" for a, b in pivots))
    source = config.knowledge.language
    click.echo(f"Configured languages, from the knowledge base's language ({source}):")
    for lang in config.languages.supported:
        if lang == source:
            continue
        version = translator.model_version(source, lang)
        back = translator.model_version(lang, source)
        state = "answers" if version else "no model"
        state += ", questions to staff" if back else ""
        click.echo(f"  {lang}: {state}" + (f" ({version})" if version else ""))


@models.command()
@click.argument("languages", nargs=-1)
@click.option(
    "--from-file",
    "files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Install this .argosmodel file (repeatable); for machines without internet.",
)
@click.pass_obj
def install(config: Config, languages: tuple[str, ...], files: tuple[Path, ...]) -> None:
    """Install models: LANG... downloads en<->LANG from the Argos index (needs the
    internet); --from-file installs package files. A damaged or wrong file is refused
    with the reason and nothing changes.

    Example: python -m bot models install --from-file translate-en_ru-1_9.argosmodel
    """
    if not languages and not files:
        raise click.UsageError("name languages (e.g. ru ar) or give --from-file PATH")
    translator = _translator(config)
    try:
        for path in files:  # every file is checked before any is installed
            check_package_file(path)
        installed = [translator.install_file(path) for path in files]
        if languages:
            installed += translator.install_from_index(list(languages))
    except TranslationError as exc:
        raise click.ClickException(str(exc)) from exc
    for pair in installed:
        click.echo(f"installed {pair.source} -> {pair.target} (version {pair.version})")
    click.echo("Run `python -m bot kb translate` to translate the knowledge base with them.")
