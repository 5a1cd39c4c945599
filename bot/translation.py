"""Offline machine translation with Argos Translate (the argos-translate-lt distribution).

Models are Argos packages (`.argosmodel`) installed into `[translation] packages_dir`;
installed pairs chain through English (zh -> en -> ru). Nothing here opens a socket except
`install_from_index()`, which is only for a machine that is online: sentence splitting is
done by our own rule splitter, never by MiniSBD's downloaded model, onnxruntime's telemetry
is switched off before it loads, and a model is loaded only when a pair is first used.
Archives are checked whole and unpacked inside the packages folder (bot/argos_archive.py).

`MachineTranslator.translate()` is slow (a real model: ~0.15-0.4 s a sentence on 2 cores);
the bot translates ahead of time (`kb translate`) and serves from the cache (translations in
the database, loaded into memory with the knowledge base).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.argos_archive import (
    DOWNLOAD_PREFIX,
    MAX_TOTAL_BYTES,
    ArchiveError,
    check_archive,
    remove_stale,
    unpack,
)
from bot.environ import restored
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
    """The metadata of a valid, safe .argosmodel file; TranslationError saying what is wrong."""
    try:
        return check_archive(path).metadata
    except ArchiveError as exc:
        raise TranslationError(str(exc)) from exc


def _import_argos():
    """argostranslate, imported so that neither it nor onnxruntime (which it loads) writes
    under the user's home or phones home.

    onnxruntime sends usage telemetry to mobile.events.data.microsoft.com and keeps a device
    id under ~/.cache/Microsoft unless ORT_DISABLE_TELEMETRY is set before it loads.
    argostranslate.settings creates three folders under the home (XDG data, config, cache)
    at import: they go into a temporary folder, removed right after, so a user's
    settings.json is not read either. Our own code sets every path it uses.
    """
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    if "argostranslate.translate" not in sys.modules:
        with tempfile.TemporaryDirectory(prefix="faq-bot-argos-") as tmp, restored(*_XDG):
            os.environ.update({name: tmp for name in _XDG})
            import argostranslate.package
            import argostranslate.settings
            import argostranslate.translate  # noqa: F401
    import argostranslate

    return argostranslate


_XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")


class MachineTranslator:
    """Argos Translate over one packages folder, loading models lazily, never downloading."""

    def __init__(self, packages_dir: Path, beam_size: int = 4, threads: int = 1):
        self.packages_dir = Path(packages_dir)
        self.beam_size = beam_size
        self.threads = threads
        self._lock = _LIBRARY_LOCK
        self._argos: Any = None
        self._pairs: list[InstalledPair] | None = None

    def _library(self):
        """argostranslate pointed at our folder. Its settings are module globals, so they are
        set again whenever another translator (another folder) used them last."""
        argostranslate = _import_argos()
        settings = argostranslate.settings
        self._argos = argostranslate
        if settings.package_data_dir != self.packages_dir or settings.package_dirs != [
            self.packages_dir
        ]:
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
            if not self.packages_dir.is_dir():  # nothing installed; never create it here
                return []
            remove_stale(self.packages_dir)
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
        if not self.pairs():
            return None
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
        """Install a .argosmodel file after checking all of it; a bad file changes nothing."""
        try:
            checked = check_archive(path)
        except ArchiveError as exc:
            raise TranslationError(str(exc)) from exc
        metadata = checked.metadata
        with self._lock:
            argos = self._library()
            replaced = [
                p.path
                for p in self.pairs()
                if (p.source, p.target) == (metadata["from_code"], metadata["to_code"])
            ]
            try:
                target_dir = unpack(checked, self.packages_dir, replaced)
            except ArchiveError as exc:
                raise TranslationError(str(exc)) from exc
            except OSError as exc:
                raise TranslationError(f"{path}: cannot install: {exc}") from exc
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
        """Download and install en<->LANG packages from the Argos index (needs the internet).

        One attempt per file with a short timeout: offline, this fails within seconds.
        """
        with self._lock:
            argos = self._library()
            url = argos.settings.remote_package_index
            try:
                index = json.loads(_download(url, 16 << 20))
                available = [m for m in index if isinstance(m, dict)]
            except (OSError, ValueError, TypeError) as exc:
                raise TranslationError(
                    f"cannot reach the Argos package index ({exc.__class__.__name__}: {exc}). "
                    "On a machine without internet, copy the .argosmodel files over and use "
                    "`models install --from-file PATH`."
                ) from None
        wanted = {(a, b) for lang in languages for a, b in ((PIVOT, lang), (lang, PIVOT))}
        chosen = {
            (m.get("from_code"), m.get("to_code")): m
            for m in available
            if (m.get("from_code"), m.get("to_code")) in wanted and m.get("links")
        }
        missing = sorted(wanted - set(chosen))
        if missing:
            raise TranslationError(
                "the index has no package for " + ", ".join(f"{a}->{b}" for a, b in missing)
            )
        installed = []
        for (a, b), meta in sorted(chosen.items()):
            self.packages_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=DOWNLOAD_PREFIX, suffix=".argosmodel", dir=self.packages_dir
            )
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(_download(str(meta["links"][0]), MAX_TOTAL_BYTES))
                installed.append(self.install_file(Path(name)))
            except OSError as exc:
                raise TranslationError(f"cannot download the {a}->{b} model: {exc}") from None
            finally:
                Path(name).unlink(missing_ok=True)
        return installed


def _download(url: str, limit: int, timeout: float = 10.0) -> bytes:
    """One HTTP(S) GET with a timeout and a size limit; OSError when it fails."""
    if not url.startswith(("https://", "http://")):
        raise OSError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "faq-bot"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{url} is larger than {limit >> 20} MiB")
    return data


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
