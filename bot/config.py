"""Configuration: `config.toml` read once with tomllib into frozen, typed objects.

No other module reads the configuration file or the environment; everything is passed down
from here. Relative paths are resolved against the directory of the configuration file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"


class ConfigError(Exception):
    """The configuration file is missing, unreadable or has a wrong value."""


@dataclass(frozen=True)
class KnowledgeConfig:
    dir: Path = Path("knowledge")
    language: str = "en"
    cache_dir: Path = Path(".cache")


@dataclass(frozen=True)
class MatchingConfig:
    answer_threshold: float = 0.30
    classifier_threshold: float = 0.70
    min_similarity: float = 0.45
    min_lexical: float = 0.80
    suggest_threshold: float = 0.10
    max_suggestions: int = 3
    lexical_weight: float = 4.0
    max_question_chars: int = 1000


@dataclass(frozen=True)
class LanguagesConfig:
    supported: tuple[str, ...] = ("en", "zh", "ru", "ar", "fr", "es")
    min_confidence: float = 0.80


@dataclass(frozen=True)
class TelegramConfig:
    base_url: str = "https://api.telegram.org/bot"
    staff_chat_id: int = 0
    staff_user_ids: tuple[int, ...] = ()
    rate_limit_messages: int = 8
    rate_limit_seconds: int = 30
    replay_max_age_seconds: int = 3600
    staff_limit_messages: int = 3
    staff_limit_seconds: int = 600


@dataclass(frozen=True)
class TranslationConfig:
    packages_dir: Path = Path("data/argos-packages")
    beam_size: int = 4
    threads: int = 1
    live: bool = True
    show_marker: bool = True


@dataclass(frozen=True)
class StorageConfig:
    database: Path = Path("data/bot.db")
    retention_days: int = 365


@dataclass(frozen=True)
class Config:
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    languages: LanguagesConfig = field(default_factory=LanguagesConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    translation: TranslationConfig = field(default_factory=TranslationConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    token: str | None = field(default=None, repr=False)

    def with_knowledge_dir(self, path: Path) -> Config:
        return replace(self, knowledge=replace(self.knowledge, dir=path))


_SECTIONS = {
    "knowledge": KnowledgeConfig,
    "matching": MatchingConfig,
    "languages": LanguagesConfig,
    "telegram": TelegramConfig,
    "translation": TranslationConfig,
    "storage": StorageConfig,
}


def _coerce(section: str, name: str, value: Any, default: Any, base: Path) -> Any:
    where = f"[{section}] {name}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(default, Path):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} must be a non-empty path string, not {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {value!r}")
        kind = int if name.endswith("_ids") else str
        if not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where} must be a list of {kind.__name__}s, not {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, not {value!r}")
    return value


def _section(name: str, raw: Any, base: Path) -> Any:
    cls = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"[{name}] has unknown key(s): {', '.join(unknown)}")
    values = {}
    for f in fields(cls):
        default = getattr(defaults, f.name)
        if f.name in raw:
            values[f.name] = _coerce(name, f.name, raw[f.name], default, base)
        elif isinstance(default, Path):
            values[f.name] = base / default
        else:
            values[f.name] = default
    return cls(**values)


def _check(config: Config) -> None:
    m = config.matching
    if not 0 <= m.suggest_threshold <= m.answer_threshold <= 1:
        raise ConfigError(
            "[matching] needs 0 <= suggest_threshold <= answer_threshold <= 1, got "
            f"{m.suggest_threshold} and {m.answer_threshold}"
        )
    for name in ("classifier_threshold", "min_similarity", "min_lexical"):
        if not 0 <= getattr(m, name) <= 1:
            raise ConfigError(f"[matching] {name} must be between 0 and 1")
    if m.lexical_weight < 0:
        raise ConfigError("[matching] lexical_weight must not be negative")
    if m.max_suggestions < 1:
        raise ConfigError("[matching] max_suggestions must be at least 1")
    if m.max_question_chars < 10:
        raise ConfigError("[matching] max_question_chars must be at least 10")
    if config.telegram.staff_limit_messages < 1 or config.telegram.staff_limit_seconds < 1:
        raise ConfigError(
            "[telegram] staff_limit_messages and staff_limit_seconds must be at least 1"
        )
    if not 0 <= config.telegram.replay_max_age_seconds <= 86400:
        raise ConfigError(
            "[telegram] replay_max_age_seconds must be between 0 and 86400 (Telegram keeps "
            f"updates for a day), got {config.telegram.replay_max_age_seconds}"
        )
    if not 1 <= config.translation.beam_size <= 16:
        raise ConfigError("[translation] beam_size must be between 1 and 16")
    if config.translation.threads < 1:
        raise ConfigError("[translation] threads must be at least 1")
    if not 0 <= config.languages.min_confidence <= 1:
        raise ConfigError(
            "[languages] min_confidence must be between 0 and 1, got "
            f"{config.languages.min_confidence}"
        )


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read `path` (default: ./config.toml if present, else built-in defaults)."""
    environ = dict(os.environ) if environ is None else environ
    if path is None:
        candidate = Path("config.toml")
        path = candidate if candidate.is_file() else None
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {path}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration file {path}: {exc}") from exc
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        base = path.resolve().parent
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
    sections = {name: _section(name, raw.get(name, {}), base) for name in _SECTIONS}
    if not sections["languages"].supported:
        raise ConfigError("[languages] supported must name at least one language")
    token = environ.get(TOKEN_ENV, "").strip() or None
    config = Config(**sections, token=token)
    if config.knowledge.language not in config.languages.supported:
        langs = (config.knowledge.language, *config.languages.supported)
        config = replace(config, languages=replace(config.languages, supported=langs))
    _check(config)
    return config
