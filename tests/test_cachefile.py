import logging

import pytest

from bot.cachefile import write_cache


def test_writes_text_and_binary(tmp_path):
    write_cache(tmp_path / "a" / "k.json", lambda f: f.write("ключ"), text=True)
    write_cache(tmp_path / "v.bin", lambda f: f.write(b"\x00\x01"))
    assert (tmp_path / "a" / "k.json").read_text(encoding="utf-8") == "ключ"
    assert (tmp_path / "v.bin").read_bytes() == b"\x00\x01"


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, caplog):
    path = tmp_path / "k.json"
    path.write_text("old", encoding="utf-8")

    def half(f):
        f.write("new and half")
        raise OSError(28, "No space left on device")

    with caplog.at_level(logging.WARNING):
        write_cache(path, half, text=True)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"]
    assert "No space left" in caplog.text


def test_unwritable_folder_is_logged_not_raised(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        write_cache(blocker / "cache" / "k.json", lambda f: f.write("x"), text=True)
    assert "could not write cache file" in caplog.text


def test_other_errors_are_not_swallowed(tmp_path):
    def bug(f):
        raise TypeError("not serialisable")

    with pytest.raises(TypeError):
        write_cache(tmp_path / "k.json", bug, text=True)
    assert list(tmp_path.iterdir()) == []
