"""`faq-bot init DIR`: a working folder from the installed package alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.conftest import ROOT

QUESTION = "How do I open a company bank account?"


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_init_writes_the_config_and_the_starter_knowledge(tmp_path):
    target = tmp_path / "my-bot"
    result = invoke("init", str(target))
    assert result.exit_code == 0, result.output
    shipped = sorted(p.name for p in (ROOT / "knowledge").glob("*.yaml"))
    assert sorted(p.name for p in (target / "knowledge").iterdir()) == shipped
    assert (target / "config.toml").read_text() == (ROOT / "config.toml").read_text()
    assert "# FAQ bot configuration" in (target / "config.toml").read_text()  # commented
    assert f"cd {target}" in result.output


def test_init_refuses_to_overwrite_unless_forced(tmp_path):
    target = tmp_path / "my-bot"
    (target / "knowledge").mkdir(parents=True)
    (target / "knowledge" / "banking.yaml").write_text("mine\n")
    result = invoke("init", str(target))
    assert result.exit_code == 1
    assert "already has knowledge/banking.yaml: nothing written" in result.output
    assert (target / "knowledge" / "banking.yaml").read_text() == "mine\n"
    assert not (target / "config.toml").exists()  # all or nothing
    forced = invoke("init", "--force", str(target))
    assert forced.exit_code == 0, forced.output
    assert (target / "knowledge" / "banking.yaml").read_bytes() == (
        ROOT / "knowledge" / "banking.yaml"
    ).read_bytes()


def test_the_initialised_folder_answers(tmp_path):
    invoke("init", str(tmp_path / "bot"))
    result = invoke("--config", str(tmp_path / "bot" / "config.toml"), "ask", QUESTION)
    assert result.exit_code == 0, result.output
    assert "[answered " in result.output


def test_every_package_is_listed_in_pyproject():
    """Packages are listed by name (for the mapped `bot._starter`): none may be forgotten."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")
    }
    assert found | {"bot._starter"} == set(listed["packages"])


@pytest.mark.slow
def test_the_wheel_alone_is_enough(tmp_path):
    """Build the wheel, install it in a fresh virtual environment (its dependencies borrowed
    from this one, offline), then `faq-bot init X && cd X && faq-bot ask ...` outside the
    checkout."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "config.toml"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "bot", source / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "knowledge", source / "knowledge")
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", str(source), "-w", str(dist)], tmp_path)  # fmt: skip
    [wheel] = dist.glob("faq_bot-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  tmp_path).stdout.strip()  # fmt: skip
    # The dependencies (numpy, the encoder, ...) from this environment, not its `bot`.
    Path(purelib, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)], tmp_path)  # fmt: skip

    where = run([str(python), "-c", "import bot; print(bot.__file__)"], tmp_path).stdout
    assert where.startswith(str(venv)), where
    faq_bot = str(venv / "bin" / "faq-bot")
    run([faq_bot, "init", "X"], tmp_path)
    answer = run([faq_bot, "ask", QUESTION], tmp_path / "X")
    assert answer.stdout.startswith("[answered corporate-basic-account "), answer.stdout
    assert (tmp_path / "X" / ".cache").is_dir()  # relative to the new folder's config


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        "FAQ_BOT_SECOND_ENCODER": os.environ.get("FAQ_BOT_SECOND_ENCODER", "none"),
    }
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc
