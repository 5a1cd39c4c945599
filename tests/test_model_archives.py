"""Hostile `.argosmodel` archives through `models install --from-file`: each is refused with
one clear line, and the data folder (database, key, installed models) stays byte-identical."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.argos_archive import MAX_TOTAL_BYTES, ArchiveError, check_archive, unpack
from bot.cli import main
from bot.storage import Storage
from tests.argos_packages import PackageFactory

GOOD_META = {
    "package_version": "1.0",
    "argos_version": "1.12",
    "from_code": "en",
    "to_code": "xy",
    "type": "translate",
    "links": [],
}


def _files(top: str = "translate-en_xy-1_0", meta: dict | None = GOOD_META) -> dict:
    files = {f"{top}/": b"", f"{top}/sentencepiece.model": b"sp", f"{top}/model/": b""}
    files[f"{top}/model/model.bin"] = b"weights"
    if meta is not None:
        files[f"{top}/metadata.json"] = json.dumps(meta).encode()
    return files


def _zip(path: Path, files: dict, modes: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            mode = (modes or {}).get(name)
            if mode is not None:
                info.external_attr = mode << 16
            elif name.endswith("/"):
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
            else:
                info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def _raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written by hand from (name, raw deflate data, crc32, unpacked size)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size,
                           len(encoded), 0) + encoded + data  # fmt: skip
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, 0, 8, 0, 0, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0,
                               (stat.S_IFREG | 0o644) << 16, offset) + encoded  # fmt: skip
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(out), 0)  # fmt: skip
    path.write_bytes(bytes(out + central + end))
    return path


def _deflate(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def zip_bomb(path: Path, mib: int) -> Path:
    """A valid-looking package whose model.bin unpacks to `mib` MiB of zeros: the deflate
    stream is one fully flushed 1 MiB block repeated, so the file stays about mib KiB."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again  # a full flush resets the state: blocks are interchangeable
    stream = block * mib + c.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    top = "translate-en_xy-1_0"
    members = [
        (f"{top}/metadata.json", *_deflate(json.dumps(GOOD_META).encode())),
        (f"{top}/sentencepiece.model", *_deflate(b"sp")),
        (f"{top}/model/model.bin", stream, crc, mib << 20),
    ]
    return _raw_zip(path, members)


def _damaged(path: Path) -> Path:
    """A well-formed package whose model.bin bytes were altered after zipping: only
    unpacking (the CRC check) can tell."""
    files = _files()
    files["translate-en_xy-1_0/model/model.bin"] = b"weights-" * 512
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"weights-" * 4)
    raw[at + 100] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def _hostile(tmp: Path) -> dict[str, Path]:
    top = "translate-en_xy-1_0"
    a: dict[str, Path] = {}
    a["top is .."] = _zip(tmp / "dotdot.argosmodel", _files(".."))
    a["top is ."] = _zip(tmp / "dot.argosmodel", _files("."))
    a["absolute path"] = _zip(tmp / "abs.argosmodel", _files("/tmp/evil-top"))
    files = _files()
    files[f"{top}/../../bot.db"] = b"overwritten"
    a["member with ../"] = _zip(tmp / "traverse.argosmodel", files)
    files = _files()
    files[f"{top}/link"] = b"../../bot.db.key"
    a["symlink"] = _zip(tmp / "symlink.argosmodel", files, {f"{top}/link": stat.S_IFLNK | 0o777})
    files = _files()
    files[f"{top}/fifo"] = b""
    a["fifo"] = _zip(tmp / "fifo.argosmodel", files, {f"{top}/fifo": stat.S_IFIFO | 0o644})
    files = _files()
    files[f"{top}/dev"] = b""
    a["device"] = _zip(tmp / "device.argosmodel", files, {f"{top}/dev": stat.S_IFCHR | 0o644})
    a["two top folders"] = _zip(tmp / "two.argosmodel", {**_files(), **_files("other")})
    a["no metadata"] = _zip(tmp / "nometa.argosmodel", _files(meta=None))
    files = _files()
    files[f"{top}/metadata.json"] = b"{not json"
    a["metadata not JSON"] = _zip(tmp / "badjson.argosmodel", files)
    a["metadata without to_code"] = _zip(
        tmp / "noto.argosmodel", _files(meta={**GOOD_META, "to_code": None})
    )
    a["metadata code ../x"] = _zip(
        tmp / "badcode.argosmodel", _files(meta={**GOOD_META, "from_code": "../x"})
    )
    a["metadata en->en"] = _zip(
        tmp / "same.argosmodel", _files(meta={**GOOD_META, "to_code": "en"})
    )
    a["metadata is a list"] = _zip(tmp / "list.argosmodel", _files(meta=[1, 2]))  # type: ignore[arg-type]
    files = _files()
    del files[f"{top}/model/model.bin"]
    a["no model"] = _zip(tmp / "nomodel.argosmodel", files)
    a["zip bomb by ratio (64 MiB of zeros)"] = zip_bomb(tmp / "ratio.argosmodel", 64)
    a["zip bomb 1 GiB"] = zip_bomb(tmp / "bomb.argosmodel", 1024)
    files = _files()
    files.update({f"{top}/many/{i}": b"" for i in range(2_100)})
    a["too many members"] = _zip(tmp / "many.argosmodel", files)
    a["top is a file"] = _zip(tmp / "topfile.argosmodel", {top: b"x", **_files()})
    a["damaged member (bad CRC)"] = _damaged(tmp / "damaged.argosmodel")
    a["not a zip"] = tmp / "junk.argosmodel"
    a["not a zip"].write_bytes(b"PK\x03\x04 nothing")
    a["empty zip"] = _zip(tmp / "empty.argosmodel", {})
    return a


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return _hostile(tmp_path_factory.mktemp("hostile"))


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        )
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def site(tmp_path):
    """A deployment laid out like the default config: data/bot.db, its key, one model."""
    config = tmp_path / "site" / "config.toml"
    config.parent.mkdir()
    config.write_text("")  # all defaults, relative to this folder
    with Storage.open(config.parent / "data" / "bot.db") as storage:
        storage.log_interaction(
            user_id=1, chat_type="private", language="en", question="q", status="answered"
        )
    good = PackageFactory(tmp_path / "built")("en", "xx", {"hello": "HOLA"}, with_splitter=False)
    result = CliRunner().invoke(main, ["--config", str(config), "models", "install",
                                       "--from-file", str(good)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return config


def test_every_hostile_archive_is_refused_in_one_line_and_harms_nothing(site, hostile):
    archives = hostile
    above = site.parent.parent
    before = _snapshot(above / "site")
    assert "data/bot.db" in before and "data/bot.db.key" in before and len(before) > 8
    harmed = []
    for what, archive in archives.items():
        result = CliRunner().invoke(
            main, ["--config", str(site), "models", "install", "--from-file", str(archive)]
        )
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1, (what, result.output)
        assert len(lines) == 1 and lines[0].startswith("Error: "), (what, result.output)
        assert "Traceback" not in result.output and result.exception is not None
        if _snapshot(above / "site") != before:
            harmed.append(what)
    assert harmed == []
    assert not Path("/tmp/evil-top").exists()
    assert len(archives) == 22
    result = CliRunner().invoke(main, ["--config", str(site), "models", "list"])
    assert "en -> xx  version 1.0" in result.output


@pytest.mark.parametrize(
    "what, reason",
    [
        ("top is ..", "'\\.\\.' part"),
        ("top is .", "'\\.\\.' part"),
        ("absolute path", "absolute"),
        ("member with ../", "'\\.\\.' part"),
        ("symlink", "symbolic link"),
        ("fifo", "device, fifo"),
        ("device", "device, fifo"),
        ("two top folders", "exactly one top folder"),
        ("no metadata", "metadata.json is missing"),
        ("metadata not JSON", "not valid JSON"),
        ("metadata without to_code", "to_code must be a language code"),
        ("metadata code ../x", "from_code must be a language code"),
        ("metadata en->en", "into itself"),
        ("metadata is a list", "JSON object"),
        ("no model", "model/model.bin is missing"),
        ("zip bomb by ratio (64 MiB of zeros)", "expand more than 100x"),
        ("zip bomb 1 GiB", "more than 1024 MiB"),
        ("too many members", "members, at most"),
        ("top is a file", "appears twice|is a file"),
        ("not a zip", "zip archive"),
        ("empty zip", "empty"),
    ],
)
def test_each_refusal_says_why(hostile, what, reason):
    with pytest.raises(ArchiveError, match=reason):
        check_archive(hostile[what])


def test_a_damaged_member_is_found_while_unpacking_and_leaves_nothing(hostile, tmp_path):
    checked = check_archive(hostile["damaged member (bad CRC)"])  # the directory is fine
    packages = tmp_path / "packages"
    with pytest.raises(ArchiveError, match="damaged Argos model: Bad CRC-32"):
        unpack(checked, packages, [])
    assert list(packages.iterdir()) == []


def test_the_bomb_is_real_and_small_on_disk(tmp_path):
    bomb = zip_bomb(tmp_path / "b.argosmodel", 1024)
    assert bomb.stat().st_size < 2 << 20
    with zipfile.ZipFile(bomb) as zf:
        info = zf.getinfo("translate-en_xy-1_0/model/model.bin")
        assert info.file_size == MAX_TOTAL_BYTES
        with zf.open(info) as f:
            assert f.read(1 << 20) == bytes(1 << 20)


def test_unpack_removes_only_folders_inside_packages_dir(tmp_path):
    archive = _zip(tmp_path / "ok.argosmodel", _files())
    checked = check_archive(archive)
    packages = tmp_path / "data" / "packages"
    keep = tmp_path / "data" / "bot.db"
    keep.parent.mkdir(parents=True)
    keep.write_bytes(b"db")
    with pytest.raises(ArchiveError, match="not a model folder"):
        unpack(checked, packages, [tmp_path / "data"])
    assert keep.read_bytes() == b"db"
    assert [p.name for p in packages.iterdir()] == []  # staging cleaned up
    target = unpack(checked, packages, [])
    assert target == (packages / "translate-en_xy-1_0").resolve()
    assert (target / "model" / "model.bin").read_bytes() == b"weights"
    assert [p.name for p in packages.iterdir()] == ["translate-en_xy-1_0"]


def test_an_interrupted_install_does_not_break_the_listing(site):
    packages = site.parent / "data" / "argos-packages"
    stale = packages / ".installing-x1y2"
    (stale / "translate-en_xy-1_0").mkdir(parents=True)
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    result = CliRunner().invoke(main, ["--config", str(site), "models", "list"])
    assert result.exit_code == 0, result.output
    assert "en -> xx  version 1.0" in result.output
    assert not stale.exists()


def test_a_model_folder_that_is_a_link_is_unlinked_not_followed(tmp_path):
    packages = tmp_path / "packages"
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "model").mkdir(parents=True)
    (elsewhere / "model" / "keep.bin").write_bytes(b"keep")
    packages.mkdir()
    (packages / "translate-en_xy-1_0").symlink_to(elsewhere, target_is_directory=True)
    archive = _zip(tmp_path / "ok.argosmodel", _files())
    target = unpack(check_archive(archive), packages, [packages / "translate-en_xy-1_0"])
    assert not target.is_symlink() and (target / "model" / "model.bin").exists()
    assert (elsewhere / "model" / "keep.bin").read_bytes() == b"keep"
