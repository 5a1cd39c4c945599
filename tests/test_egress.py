"""Zero egress, watched at the system-call level: `strace -f -e trace=network` on real
subprocesses for `run` (terminal chat, no token), `ask` and `kb translate` with a real
(small) Argos package installed. No socket may leave the machine (AF_UNIX and loopback
only), no DNS query may be sent, and nothing may be written under the user's home.
Also `models install LANG` offline and `models list`, which must create nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.translation import MachineTranslator
from tests.argos_packages import build_package
from tests.conftest import ROOT, SMALL_KB

STRACE = shutil.which("strace")
needs_strace = pytest.mark.skipif(
    STRACE is None, reason="strace is not installed (apt-get install strace; .ci/run does)"
)
EN_RU = {"fapiao": "ФАПЯО", "invoice": "СЧЁТ", "bank": "БАНК", "account": "СЧЕТ", "tax": "НАЛОГ"}
LOOPBACK = re.compile(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"')


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A config with an en -> ru test model installed; the knowledge base is tests/data/kb."""
    root = tmp_path_factory.mktemp("site")
    config = root / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{SMALL_KB}"\ncache_dir = "{root / "cache"}"\n'
        '[languages]\nsupported = ["en", "ru", "zh"]\n'
    )
    package = build_package(root / "built", "en", "ru", EN_RU, with_splitter=False)
    MachineTranslator(root / "data" / "argos-packages").install_file(package)
    return config


def _env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing inherited (not even a telemetry switch set in-process)."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONPATH": str(ROOT), **extra}


def _bot(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "--config", str(config), *args]


def outbound(trace: str) -> list[str]:
    """System calls in an strace log that reach beyond the machine or look a name up."""
    bad = []
    for line in trace.splitlines():
        call = re.sub(r"^\d+\s+", "", line)
        if call.startswith("socket(") and not call.startswith(
            ("socket(AF_UNIX", "socket(AF_LOCAL")
        ):
            bad.append(call)  # an AF_INET/AF_INET6/AF_PACKET/... socket: the start of egress
        elif call.startswith(("connect(", "sendto(", "sendmsg(", "bind(")):
            if "sa_family=AF_UNIX" in call or "NULL, 0" in call and "htons" not in call:
                continue
            if "htons(53)" in call or not LOOPBACK.search(call):
                bad.append(call)
    return bad


def _traced(tmp_path: Path, name: str, argv: list[str], stdin: str, dwell: float = 0):
    """Run `argv` under strace; with `dwell`, keep stdin open that many seconds after the
    input (a chat that stays open: onnxruntime's telemetry looked up its host ~9 s after
    loading, then every ~5 s)."""
    home = tmp_path / f"home-{name}"
    home.mkdir()
    log = tmp_path / f"{name}.strace"
    cmd = [STRACE, "-f", "-qq", "-e", "trace=network", "-o", str(log), *argv]
    with subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_env(home),
    ) as proc:  # fmt: skip
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.flush()
        time.sleep(dwell)
        out, err = proc.communicate(timeout=300)
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return result, log.read_text(), sorted(p.name for p in home.rglob("*"))


@needs_strace
@pytest.mark.parametrize(
    "name, args, stdin, shown, dwell",
    [
        ("run", ["run"], "What is a fapiao?\nЧто такое фапяо?\n", "official tax invoice", 15),
        ("ask", ["ask", "--lang", "ru"], "What is a fapiao?\n", "A ФАПЯО is the official", 0),
        ("kb-translate", ["kb", "translate", "--lang", "ru"], "", "Done: ", 0),
    ],
)
def test_no_egress_and_nothing_under_home(site, tmp_path, name, args, stdin, shown, dwell):
    """The model really runs (ask shows its output), and still: no socket, no lookup."""
    proc, trace, home = _traced(tmp_path, name, _bot(site, *args), stdin, dwell)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert shown in proc.stdout and " 0 translated" not in proc.stdout
    assert outbound(trace) == []
    assert home == []


@needs_strace
def test_the_watch_sees_a_lookup(tmp_path):
    """The detector is not blind: a process resolving a name and opening a TCP socket is
    caught (no packet leaves: the address is unroutable and the lookup fails or is local)."""
    code = (
        "import socket\n"
        "try:\n    socket.getaddrinfo('example.invalid', 443)\nexcept OSError:\n    pass\n"
        "s = socket.socket(); s.settimeout(0.01)\n"
        "try:\n    s.connect(('192.0.2.1', 9))\nexcept OSError:\n    pass\n"
    )
    _, trace, _ = _traced(tmp_path, "probe", [sys.executable, "-c", code], "")
    found = outbound(trace)
    assert any("socket(AF_INET" in c for c in found)
    assert any("192.0.2.1" in c for c in found)


def test_models_install_lang_offline_fails_fast_in_one_line(site, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    before = sorted(p.relative_to(site.parent) for p in site.parent.rglob("*"))
    proc = subprocess.run(
        _bot(site, "models", "install", "ru"),
        capture_output=True,
        text=True,
        env=_env(home, ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/"),  # loopback, nobody there
        timeout=120,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: cannot reach the Argos package index (URLError")
    assert "Recursion" not in proc.stderr and "Traceback" not in proc.stderr
    assert "--from-file" in lines[0]
    assert sorted(p.relative_to(site.parent) for p in site.parent.rglob("*")) == before
    assert list(home.iterdir()) == []


def test_models_list_creates_nothing(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "config.toml").write_text("")
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(
        _bot(site / "config.toml", "models", "list"),
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "none: install with" in proc.stdout
    assert [p.name for p in site.iterdir()] == ["config.toml"]
    assert list(home.iterdir()) == []
