"""Offline machine translation with Argos Translate (the argos-translate-lt distribution).

Models are Argos packages (`.argosmodel`) installed into `[translation] packages_dir`;
installed pairs chain through English (zh -> en -> ru). Nothing here opens a socket except
`install_from_index()`, which is only for a machine that is online: sentence splitting is
done by our own rule splitter, never by MiniSBD's downloaded model, and a model is loaded
only when a pair is first used.

`MachineTranslator.translate()` is slow (a real model: ~0.15-0.4 s a sentence on 2 cores);
the bot translates ahead of time (`kb translate`) and serves from the cache (translations in
the database, loaded into memory with the knowledge base).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.segments import Glossary, split_sentences, translate_markdown

PIVOT = "en"
_LIBRARY_LOCK = threading.RLock()  # argostranslate keeps its state in module globals


class TranslationError(Exception):
    """A model could not be installed or used; the message says why and what to do."""


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _RuleSentencizer:
    """Stands in for argostranslate's MiniSBD sentencizer, which downloads a model.

    It is the project's one splitter (bot.segments.split_sentences): `translate_markdown`
    already hands over single sentences, and this splitter leaves those whole, so the model
    gets "e.g." and "Dr." sentences as they are instead of fragments."""

    def __init__(self, pkg=None):
        self.pkg = pkg

    def split_sentences(self, text: str) -> list[str]:
        return split_sentences(text)


@dataclass(frozen=True)
class InstalledPair:
    source: str
    target: str
    version: str
    path: Path


def check_package_file(path: Path) -> dict:
    """The metadata of a valid .argosmodel file; TranslationError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise TranslationError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise TranslationError(f"{path}: not an Argos model (.argosmodel files are zip archives)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) != 1:
                raise TranslationError(f"{path}: an Argos model holds exactly one top folder")
            top = tops.pop()
            for needed in ("metadata.json", "sentencepiece.model", "model/model.bin"):
                if f"{top}/{needed}" not in names:
                    raise TranslationError(f"{path}: not an Argos model: {needed} is missing")
            metadata = json.loads(archive.read(f"{top}/metadata.json"))
            if archive.testzip() is not None:
                raise TranslationError(f"{path}: the archive is damaged")
    except (zipfile.BadZipFile, ValueError, KeyError) as exc:
        raise TranslationError(f"{path}: damaged Argos model: {exc}") from exc
    for key in ("from_code", "to_code"):
        if not isinstance(metadata.get(key), str) or not metadata[key]:
            raise TranslationError(f"{path}: metadata.json has no {key}")
    return metadata


class MachineTranslator:
    """Argos Translate over one packages folder, loading models lazily, never downloading."""

    def __init__(self, packages_dir: Path, beam_size: int = 4, threads: int = 1):
        self.packages_dir = Path(packages_dir)
        self.beam_size = beam_size
        self.threads = threads
        self._lock = _LIBRARY_LOCK
        self._argos = None
        self._pairs: list[InstalledPair] | None = None

    def _library(self):
        """argostranslate pointed at our folder. Its settings are module globals, so they are
        set again whenever another translator (another folder) used them last."""
        import argostranslate.package
        import argostranslate.settings
        import argostranslate.translate

        settings = argostranslate.settings
        self._argos = argostranslate
        if settings.package_data_dir != self.packages_dir or settings.package_dirs != [
            self.packages_dir
        ]:
            self.packages_dir.mkdir(parents=True, exist_ok=True)
            settings.package_data_dir = self.packages_dir
            settings.package_dirs = [self.packages_dir]
            self._reset()
        settings.beam_size = self.beam_size
        settings.intra_threads = self.threads
        settings.inter_threads = 1
        return argostranslate

    def _reset(self) -> None:
        translate = self._argos.translate
        translate.installed_translates = []
        translate.get_installed_languages.cache_clear()

    def pairs(self) -> list[InstalledPair]:
        """Installed packages (direct pairs); read once, again after an install."""
        with self._lock:
            if self._pairs is None:
                self._pairs = self._scan()
            return self._pairs

    def _scan(self) -> list[InstalledPair]:
        with self._lock:
            argos = self._library()
            found = []
            for pkg in argos.package.get_installed_packages():
                found.append(
                    InstalledPair(
                        pkg.from_code,
                        pkg.to_code,
                        str(getattr(pkg, "package_version", "?")),
                        Path(pkg.package_path),
                    )
                )
            return sorted(found, key=lambda p: (p.source, p.target))

    def covers(self, source: str, target: str) -> bool:
        direct = {(p.source, p.target) for p in self.pairs()}
        return (source, target) in direct or (
            (source, PIVOT) in direct and (PIVOT, target) in direct
        )

    def _translation(self, source: str, target: str):
        argos = self._library()
        languages = {lang.code: lang for lang in argos.translate.get_installed_languages()}
        if source not in languages or target not in languages:
            return None
        translation = languages[source].get_translation(languages[target])
        if translation is None:
            return None
        _offline(translation, argos.translate)
        return translation

    def model_version(self, source: str, target: str) -> str | None:
        """Which models a translation source -> target goes through, e.g. zh-en@1.0+en-ru@1.9."""
        direct = {(p.source, p.target): p.version for p in self.pairs()}
        if (source, target) in direct:
            return f"{source}-{target}@{direct[source, target]}"
        if (source, PIVOT) in direct and (PIVOT, target) in direct:
            return (
                f"{source}-{PIVOT}@{direct[source, PIVOT]}+{PIVOT}-{target}@{direct[PIVOT, target]}"
            )
        return None

    def translate(
        self, text: str, source: str, target: str, glossary: Glossary | None = None
    ) -> str | None:
        """`text` (Markdown kept intact) in `target`, or None when no model covers the pair."""
        if source == target or not text.strip():
            return text
        with self._lock:
            translation = self._translation(source, target)
            if translation is None:
                return None
            return translate_markdown(text, translation.translate, glossary=glossary, target=target)

    def install_file(self, path: Path) -> InstalledPair:
        """Install a .argosmodel file after checking it; a bad file changes nothing."""
        metadata = check_package_file(path)
        with self._lock:
            argos = self._library()
            replaced = [
                p.path
                for p in self.pairs()
                if (p.source, p.target) == (metadata["from_code"], metadata["to_code"])
            ]
            with zipfile.ZipFile(path) as archive:
                top = archive.namelist()[0].split("/", 1)[0]
                target_dir = self.packages_dir / top
                # Unpacked beside the folder, not in it: a half-unpacked package in the
                # folder would break argostranslate's listing of every pair.
                staging = self.packages_dir.parent / f".argos-installing-{top}"
                shutil.rmtree(staging, ignore_errors=True)
                archive.extractall(staging)
            for old in {*replaced, target_dir}:  # one model per pair: the new one wins
                if old.exists():
                    shutil.rmtree(old)
            (staging / top).rename(target_dir)
            shutil.rmtree(staging, ignore_errors=True)
            argos.translate.get_installed_languages.cache_clear()
            self._reset()
            self._pairs = None
        return InstalledPair(
            metadata["from_code"],
            metadata["to_code"],
            str(metadata.get("package_version", "?")),
            target_dir,
        )

    def install_from_index(self, languages: list[str]) -> list[InstalledPair]:
        """Download and install en<->LANG packages from the Argos index (needs the internet)."""
        with self._lock:
            argos = self._library()
            try:
                argos.package.update_package_index()
                available = argos.package.get_available_packages()
            except Exception as exc:  # the library raises bare URLError/OSError/ValueError
                raise TranslationError(
                    f"cannot reach the Argos package index ({exc.__class__.__name__}: {exc}). "
                    "On a machine without internet, copy the .argosmodel files over and use "
                    "`models install --from-file PATH`."
                ) from exc
            wanted = {(a, b) for lang in languages for a, b in ((PIVOT, lang), (lang, PIVOT))}
            chosen = [p for p in available if (p.from_code, p.to_code) in wanted]
            missing = sorted(wanted - {(p.from_code, p.to_code) for p in chosen})
            if missing:
                raise TranslationError(
                    "the index has no package for " + ", ".join(f"{a}->{b}" for a, b in missing)
                )
            installed = []
            for pkg in chosen:
                installed.append(self.install_file(Path(pkg.download())))
            return installed


def _offline(translation, translate_module) -> None:
    """Give every package translation behind `translation` the rule sentence splitter."""
    stack = [translation]
    while stack:
        item = stack.pop()
        if isinstance(item, translate_module.CachedTranslation):
            stack.append(item.underlying)
        elif isinstance(item, translate_module.CompositeTranslation):
            stack.extend([item.t1, item.t2])
        elif isinstance(item, translate_module.PackageTranslation):
            if not isinstance(item.sentencizer, _RuleSentencizer):
                item.sentencizer = _RuleSentencizer(item.pkg)
