"""Configuration: `config.toml` read once with tomllib into frozen, typed objects.

No other module reads the configuration file or the environment; everything is passed down
from here. Relative paths are resolved against the directory of the configuration file.
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot import times
from bot.messages import noun

SECOND_ENCODER_ENV = "FAQ_BOT_SECOND_ENCODER"
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
    second_encoder: str = "e5"
    second_threads: int = 2
    second_weight: float = 0.5
    unread_second_weight: float = 0.75
    unread_similarity: float = 0.60
    cosine_weight: float = 0.0
    second_cosine_weight: float = 10.0
    offtopic_threshold: float = 0.2
    offtopic_override: float = 0.9
    answer_related: bool = False
    answer_parts: bool = True
    part_confidence: float = 0.9
    part_similarity: float = 0.55
    part_confirm: float = 0.65
    confirm_similarity: float = 0.60
    confirm_margin: float = 0.40
    pair_similarity: float = 0.60
    restore_accents: bool = True
    see_also_nearest: bool = True
    hold_other_countries: bool = True
    opposite_penalty: float = 0.001
    follow_up_minutes: float = 15.0
    follow_up_chars: int = 50
    follow_up_override_chars: int = 30
    follow_up_repeat: str = "offer"  # "answer" | "offer" | "never" (config.toml)


@dataclass(frozen=True)
class LanguagesConfig:
    # Every language the sentence encoder understands; each has curated words in bot/locales/.
    supported: tuple[str, ...] = (
        "en",
        "zh",
        "ru",
        "ar",
        "fr",
        "es",
        "de",
        "it",
        "ja",
        "ko",
        "nl",
        "pl",
        "pt",
        "th",
        "tr",
    )
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
    digest: str = "off"  # daily | weekly | off: the staff digest posted to the staff chat
    digest_hour: int = 8  # 0-23 o'clock in [web] timezone; weekly digests go out on Mondays


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
    audit_retention_days: int = 730  # the staff console's audit log


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    session_hours: int = 12
    secure_cookies: bool = False
    # The web chat (docs/webchat.md): sites whose pages may embed it with /widget.js, as
    # origins ("https://centre.example"); empty: the chat is served only as its own page.
    chat_origins: tuple[str, ...] = ()
    chat_max_chars: int = 1000  # a longer message is refused, with a message saying so
    chat_rate_messages: int = 10  # typed per visitor session in chat_rate_seconds
    chat_rate_seconds: int = 60
    chat_address_messages: int = 120  # requests per client address in chat_rate_seconds
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: tuple[str, ...] = ()
    # The time zone staff read times in (console, report page, digest): an IANA name.
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class Config:
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    languages: LanguagesConfig = field(default_factory=LanguagesConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    translation: TranslationConfig = field(default_factory=TranslationConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    web: WebConfig = field(default_factory=WebConfig)
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
    "web": WebConfig,
}


# Languages the detector (py3langid, plus the script rules in bot/language.py) can name.
KNOWN_LANGUAGES = frozenset(
    """ace af am an ar ary arz as az ba bcl be bg bn br bs ca crh cs cy da de dz el en eo es
    et eu ext fa fi fo fr fuv fy ga gcf gcr gd gl gom grc gu gug guw ha hbo he hi hr ht hu hy
    id ig is it ja jv ka kab kik kk km kn ko ku ky la lb lg lij ln lo lt ltg lv mg mk ml mn mr
    ms mt my ne nl nn no nso oc om or pa pcm pl ps pt qu ro ru rw sa sd sdh se si sk sl sn so
    sq sr st sv sw ta te tg th tk tl tr tt ug uk ur uz uzs vec vi vo wa wuu xh yi yo yue zh
    zu""".split()
)
TELEGRAM_ID_LIMIT = 10**15  # Telegram user and chat ids fit in 52 bits

# (low, high), both allowed, for every number in the file.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("matching", "answer_threshold"): (0, 1),
    ("matching", "classifier_threshold"): (0, 1),
    ("matching", "min_similarity"): (0, 1),
    ("matching", "min_lexical"): (0, 1),
    ("matching", "suggest_threshold"): (0, 1),
    ("matching", "max_suggestions"): (1, 10),
    ("matching", "lexical_weight"): (0, 100),
    ("matching", "max_question_chars"): (10, 100_000),
    ("matching", "second_weight"): (0, 1),
    ("matching", "unread_second_weight"): (0, 1),
    ("matching", "unread_similarity"): (0, 1),
    ("matching", "cosine_weight"): (0, 100),
    ("matching", "second_cosine_weight"): (0, 100),
    ("matching", "second_threads"): (1, 64),
    ("matching", "offtopic_threshold"): (0, 1),
    ("matching", "offtopic_override"): (0, 1),
    ("matching", "confirm_similarity"): (0, 1),
    ("matching", "confirm_margin"): (0, 1),
    ("matching", "pair_similarity"): (0, 1),
    ("matching", "opposite_penalty"): (0, 1),
    ("matching", "part_confidence"): (0, 1),
    ("matching", "part_similarity"): (0, 1),
    ("matching", "part_confirm"): (0, 1),
    ("matching", "follow_up_minutes"): (0, 24 * 60),
    ("matching", "follow_up_chars"): (0, 1_000),
    ("matching", "follow_up_override_chars"): (0, 1_000),
    ("languages", "min_confidence"): (0, 1),
    ("telegram", "staff_chat_id"): (-TELEGRAM_ID_LIMIT, TELEGRAM_ID_LIMIT),
    ("telegram", "rate_limit_messages"): (1, 1_000),
    ("telegram", "rate_limit_seconds"): (1, 86_400),
    ("telegram", "staff_limit_messages"): (1, 1_000),
    ("telegram", "staff_limit_seconds"): (1, 86_400),
    ("telegram", "replay_max_age_seconds"): (0, 86_400),
    ("telegram", "digest_hour"): (0, 23),
    ("translation", "beam_size"): (1, 16),
    ("translation", "threads"): (1, 256),
    ("storage", "retention_days"): (1, 36_500),
    ("storage", "audit_retention_days"): (1, 36_500),
    ("web", "port"): (1, 65_535),
    ("web", "session_hours"): (1, 24 * 30),
    ("web", "chat_max_chars"): (10, 100_000),
    ("web", "chat_rate_messages"): (1, 10_000),
    ("web", "chat_rate_seconds"): (1, 86_400),
    ("web", "chat_address_messages"): (1, 1_000_000),
}


def _coerce(section: str, name: str, value: Any, default: Any, base: Path) -> Any:
    where = f"[{section}] {name}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(default, Path):
        if not isinstance(value, str) or not value.strip() or "\0" in value:
            raise ConfigError(f"{where} must be a non-empty path string, not {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, not {value!r}")
        return _in_range(section, name, float(value))
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        return _in_range(section, name, value)
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {value!r}")
        kind = int if name.endswith("_ids") else str
        if not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where} must be a list of {kind.__name__}s, not {value!r}")
        if len(set(value)) != len(value):
            raise ConfigError(f"{where} lists a value twice: {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, not {value!r}")
    return value


def _in_range(section: str, name: str, value: int | float) -> int | float:
    low, high = RANGES[section, name]
    if not low <= value <= high:
        order = (
            " (and suggest_threshold <= answer_threshold)"
            if name in ("suggest_threshold", "answer_threshold")
            else ""
        )
        if name == "digest_hour":
            order = " (the hour of the day, in [web] timezone)"
        raise ConfigError(
            f"[{section}] {name} must be between {low:g} and {high:g}{order}, not {value!r}"
        )
    return value


def _section(name: str, raw: Any, base: Path) -> Any:
    cls = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"[{name}] has unknown {noun(len(unknown), 'key')}: {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
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


def _language(where: str, code: str) -> None:
    if code not in KNOWN_LANGUAGES:
        raise ConfigError(
            f"{where} {code!r} is not a language code the bot can detect "
            "(ISO 639 codes such as en, zh, ru, ar, fr, es)"
        )


def _base_url(url: str) -> None:
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(c.isspace() or ord(c) < 32 for c in url)
    ):
        raise ConfigError(
            "[telegram] base_url must be an http(s) URL such as "
            f"https://api.telegram.org/bot, not {url!r}"
        )
    try:
        parts.port  # noqa: B018 -- raises on a port out of range
    except ValueError as exc:
        raise ConfigError(f"[telegram] base_url has a bad port: {url!r}") from exc


def _origin(origin: str) -> None:
    """An origin as browsers send it: scheme, host and port only (it goes into headers)."""
    parts = urlsplit(origin)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or origin != f"{parts.scheme}://{parts.netloc}"
        or not all(c.isalnum() or c in ".-:[]" for c in parts.netloc)
        or parts.netloc.lower() != parts.netloc
    ):
        raise ConfigError(
            "[web] chat_origins must hold origins such as https://centre.example "
            f"(scheme, lower-case host, optional port; no path), not {origin!r}"
        )


def _check(config: Config) -> None:
    m = config.matching
    if not m.suggest_threshold <= m.answer_threshold:
        raise ConfigError(
            "[matching] needs 0 <= suggest_threshold <= answer_threshold <= 1, got "
            f"{m.suggest_threshold} and {m.answer_threshold}"
        )
    _language("[knowledge] language", config.knowledge.language)
    for code in config.languages.supported:
        _language("[languages] supported:", code)
    _base_url(config.telegram.base_url)
    for origin in config.web.chat_origins:
        _origin(origin)
    for user in config.telegram.staff_user_ids:
        if not 1 <= user <= TELEGRAM_ID_LIMIT:
            raise ConfigError(
                f"[telegram] staff_user_ids must hold Telegram user ids (1 to 10^15), not {user}"
            )
    if config.telegram.staff_limit_messages < 1 or config.telegram.staff_limit_seconds < 1:
        raise ConfigError(
            "[telegram] staff_limit_messages and staff_limit_seconds must be at least 1"
        )
    if not 0 <= config.telegram.replay_max_age_seconds <= 86400:
        raise ConfigError(
            "[telegram] replay_max_age_seconds must be between 0 and 86400 (Telegram keeps "
            f"updates for a day), got {config.telegram.replay_max_age_seconds}"
        )
    if config.telegram.digest not in ("daily", "weekly", "off"):
        raise ConfigError(
            f'[telegram] digest must be "daily", "weekly" or "off", not {config.telegram.digest!r}'
        )
    if not config.web.host.strip() or any(c.isspace() for c in config.web.host):
        raise ConfigError(f"[web] host must be a host name or address, not {config.web.host!r}")
    for proxy in config.web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                "[web] trusted_proxies must list IP addresses or networks (such as "
                f'"127.0.0.1" or "10.0.0.0/8"), not {proxy!r}'
            ) from None
    if m.follow_up_repeat not in ("answer", "offer", "never"):
        raise ConfigError(
            '[matching] follow_up_repeat must be "answer", "offer" or "never", '
            f"not {m.follow_up_repeat!r}"
        )
    try:
        times.zone(config.web.timezone)
    except times.UnknownZoneError as exc:
        raise ConfigError(f"[web] timezone: {exc}") from None
    if m.second_encoder not in ("e5", "none"):
        raise ConfigError(
            f'[matching] second_encoder must be "e5" or "none", not {m.second_encoder!r}'
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
        raise ConfigError(
            f"{path}: unknown {noun(len(unknown), 'section')}: {', '.join(unknown)}; "
            f"known: {', '.join(_SECTIONS)}"
        )
    try:
        sections = {name: _section(name, raw.get(name, {}), base) for name in _SECTIONS}
        if not sections["languages"].supported:
            raise ConfigError("[languages] supported must name at least one language")
        token = environ.get(TOKEN_ENV, "").strip() or None
        second = environ.get(SECOND_ENCODER_ENV, "").strip()
        if second:  # an operator's override for one run, e.g. on a machine too slow for e5
            sections["matching"] = replace(sections["matching"], second_encoder=second)
        config = Config(**sections, token=token)
        _check(config)
    except ConfigError as exc:
        raise ConfigError(f"{path or 'built-in defaults'}: {exc}") from None
    if config.knowledge.language not in config.languages.supported:
        langs = (config.knowledge.language, *config.languages.supported)
        config = replace(config, languages=replace(config.languages, supported=langs))
    return config
