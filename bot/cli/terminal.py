"""User text on a staff terminal: control characters shown escaped, never obeyed.

A question from Telegram can hold ESC sequences (colours, cursor moves, a fake prompt,
OSC 52 clipboard writes), C1 controls, bidi overrides that reorder what staff read, or line
breaks that forge extra output lines. Every CLI output of user text goes through `shown()`
(plain text) or `json_line()` (JSON Lines).
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 and C1 controls, DEL, bidi embeddings/overrides/isolates and marks, line/paragraph
# separators. Joiners (U+200C, U+200D) stay: scripts and emoji need them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """`text` with every control character written as a visible escape (`\\e[31m`)."""
    return _UNSAFE.sub(_escape, text)


def shown_lines(text: str) -> str:
    """`shown()` line by line: the line breaks of a message stay, every other control goes."""
    return "\n".join(shown(line) for line in text.split("\n"))


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def json_line(data: Any) -> str:
    """One line of JSON, readable UTF-8; the controls JSON allows raw (DEL, C1, bidi, line
    separators) are written as \\u escapes, so the line is the same data and inert."""
    return _UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False))
