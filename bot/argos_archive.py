"""Argos model archives (`.argosmodel` zip files): checked whole, then unpacked safely.

An archive is untrusted input. `check_archive()` reads only the zip's directory and its
`metadata.json` and refuses, with one line saying why, anything that is not exactly one
plainly named top folder of regular files and folders holding a model for one language pair,
within size limits. `unpack()` extracts a checked archive into a fresh staging folder inside
the packages folder and swaps it in with a rename: nothing outside the packages folder is
ever written or deleted, whatever the archive holds.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

# Real Argos models are 50-400 MB unpacked, in a few dozen files that barely compress.
MAX_TOTAL_BYTES = 1 << 30  # 1 GiB unpacked, all members together
MAX_MEMBERS = 2_000
MAX_RATIO = 100  # unpacked / packed, for a member larger than RATIO_FLOOR
RATIO_FLOOR = 1 << 20
MAX_METADATA_BYTES = 64 << 10
STAGING_PREFIX = ".installing-"
DOWNLOAD_PREFIX = ".download-"

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{1,8})?")
_UNIX = 3  # ZipInfo.create_system for archives made on Unix: external_attr holds st_mode
_CHUNK = 1 << 20


class ArchiveError(Exception):
    """The archive is not a safe, complete Argos model; the message says why (one line)."""


@dataclass(frozen=True)
class CheckedArchive:
    path: Path
    top: str
    metadata: dict


def _member_parts(path: Path, info: zipfile.ZipInfo) -> list[str]:
    name = info.filename
    shown = name.encode("unicode_escape").decode("ascii")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or "\\" in name:
        raise ArchiveError(f"{path}: refused: member {shown!r} has an absolute or Windows path")
    if "\0" in name or any(ord(c) < 32 for c in name):
        raise ArchiveError(f"{path}: refused: member {shown!r} has control characters")
    parts = name.split("/")
    if info.is_dir() and parts[-1] == "":
        parts = parts[:-1]
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise ArchiveError(f"{path}: refused: member {shown!r} has an empty, '.' or '..' part")
    if info.create_system == _UNIX:
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            what = "a symbolic link" if stat.S_ISLNK(mode) else "a device, fifo or socket"
            raise ArchiveError(f"{path}: refused: member {shown!r} is {what}")
    return parts


def check_archive(path: Path) -> CheckedArchive:
    """The top folder and metadata of a safe .argosmodel; ArchiveError (one line) if not."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ArchiveError(f"{path}: not an Argos model (.argosmodel files are zip archives)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            top, names = _check_members(path, infos)
            for needed in ("metadata.json", "model/model.bin"):
                if f"{top}/{needed}" not in names:
                    raise ArchiveError(f"{path}: not an Argos model: {needed} is missing")
            if not {f"{top}/sentencepiece.model", f"{top}/bpe.model"} & names:
                raise ArchiveError(f"{path}: not an Argos model: sentencepiece.model is missing")
            meta_info = archive.getinfo(f"{top}/metadata.json")
            if meta_info.file_size > MAX_METADATA_BYTES:
                raise ArchiveError(f"{path}: metadata.json is larger than 64 KiB")
            metadata = _check_metadata(path, archive.read(meta_info))
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, KeyError, OSError) as exc:
        raise ArchiveError(f"{path}: damaged Argos model: {exc}") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted or unknown compression
        raise ArchiveError(f"{path}: unsupported archive: {exc}") from exc
    return CheckedArchive(path, top, metadata)


def _check_members(path: Path, infos: list[zipfile.ZipInfo]) -> tuple[str, set[str]]:
    if not infos:
        raise ArchiveError(f"{path}: the archive is empty")
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{path}: refused: {len(infos)} members, at most {MAX_MEMBERS}")
    tops: set[str] = set()
    names: set[str] = set()
    total = 0
    for info in infos:
        parts = _member_parts(path, info)
        tops.add(parts[0])
        joined = "/".join(parts)
        if joined in names:
            raise ArchiveError(f"{path}: refused: member {joined!r} appears twice")
        names.add(joined)
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{path}: refused: member {joined!r} is encrypted")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{path}: refused: unpacks to more than {MAX_TOTAL_BYTES >> 20} MiB")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(
                f"{path}: refused: member {joined!r} would expand more than {MAX_RATIO}x "
                "(a zip bomb?)"
            )
    if len(tops) != 1:
        raise ArchiveError(
            f"{path}: an Argos model holds exactly one top folder, this one has {len(tops)}"
        )
    top = tops.pop()
    if not _PLAIN_NAME.fullmatch(top) or top.startswith(STAGING_PREFIX):
        raise ArchiveError(f"{path}: refused: top folder {top!r} is not a plain name")
    if top in names and not any(i.is_dir() for i in infos if i.filename.rstrip("/") == top):
        raise ArchiveError(f"{path}: refused: the top entry {top!r} is a file, not a folder")
    return top, names


def _check_metadata(path: Path, raw: bytes) -> dict:
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path}: metadata.json is not valid JSON: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ArchiveError(f"{path}: metadata.json must hold a JSON object")
    for key in ("from_code", "to_code"):
        value = metadata.get(key)
        if not isinstance(value, str) or not _LANGUAGE_CODE.fullmatch(value):
            raise ArchiveError(
                f"{path}: metadata.json {key} must be a language code like 'en', not {value!r}"
            )
    if metadata["from_code"] == metadata["to_code"]:
        raise ArchiveError(f"{path}: metadata.json translates {metadata['from_code']} into itself")
    if metadata.get("type", "translate") != "translate":
        raise ArchiveError(f"{path}: metadata.json type must be 'translate'")
    version = metadata.get("package_version", "?")
    if not isinstance(version, str | int | float) or len(str(version)) > 32:
        raise ArchiveError(f"{path}: metadata.json package_version must be a short string")
    return metadata


def unpack(checked: CheckedArchive, packages_dir: Path, replaced: list[Path]) -> Path:
    """Unpack a checked archive as `packages_dir/<top>`, replacing `replaced` folders.

    Extracts member by member (never `extractall`) into a fresh staging folder inside
    `packages_dir`, counting bytes against the limits again, then renames it into place.
    Only entries directly inside `packages_dir` are ever removed (a link there is unlinked,
    never followed). While it unpacks, another process listing the folder would see the
    staging folder; `remove_stale` clears one left by an interrupted install.
    """
    root = Path(packages_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        _extract(checked, staging)
        target = root / checked.top
        doomed = {target}
        for path in map(Path, replaced):  # the folder itself is never resolved: a link stays one
            if path.name in ("", ".", "..") or path.parent.resolve() != root:
                raise ArchiveError(f"refusing to remove {path}: not a model folder in {root}")
            doomed.add(root / path.name)
        for old in doomed:
            if old.is_symlink() or old.is_file():
                old.unlink()
            elif old.exists():
                shutil.rmtree(old)
        (staging / checked.top).rename(target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale(packages_dir: Path, older_than: float = 3600.0) -> list[Path]:
    """Remove what an interrupted install left in `packages_dir` (a staging folder or a
    download), which would break argostranslate's listing; recent ones may be another
    process's install in progress and stay."""
    removed = []
    now = time.time()
    for path in Path(packages_dir).glob(".*"):
        if not path.name.startswith((STAGING_PREFIX, DOWNLOAD_PREFIX)):
            continue
        try:
            if now - path.lstat().st_mtime < older_than:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _extract(checked: CheckedArchive, staging: Path) -> None:
    try:
        _extract_members(checked, staging)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # CRC or deflate data damaged
        raise ArchiveError(f"{checked.path}: damaged Argos model: {exc}") from exc


def _extract_members(checked: CheckedArchive, staging: Path) -> None:
    total = 0
    with zipfile.ZipFile(checked.path) as archive:
        for info in archive.infolist():
            parts = _member_parts(checked.path, info)
            dest = staging.joinpath(*parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with archive.open(info) as src, open(dest, "xb") as out:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if written > info.file_size or total > MAX_TOTAL_BYTES:
                        raise ArchiveError(f"{checked.path}: refused: unpacks beyond its size")
                    out.write(chunk)
