"""Editing topic files: the one way the bot's tools change `knowledge/*.yaml`.

`stage(kb_dir)` opens an `Edit`; its files take edits (set a translation, append
alternates, set a topic name, append an entry's text). `Edit.commit()` validates the whole
knowledge base with the staged texts on a copy, then writes each changed file atomically
(temporary file + rename, the file's mode kept), refusing if a file changed meanwhile.

Edits are made on the text, line by line: ruamel's round-trip parse only says where each
key and item is. So comments, order, quotes, blank lines and the file's own indentation
stay as they were, and only the lines of what was edited change. Each edited file is
parsed again and compared, value by value, with the original plus the edits: an edit that
would change anything else is refused.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from bot.knowledge import (
    KnowledgeBase,
    KnowledgeError,
    load_knowledge,
    parsed_topic,
    round_trip_yaml,
    topic_files,
)

# What a `|` block may hold (YAML's printable characters); anything else is written quoted.
_PRINTABLE = re.compile("^[\x09\x0a\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffc\U00010000-\U0010ffff]*$")


_ODD_BREAKS = frozenset("\x85\u2028\u2029")  # line breaks to YAML, not to a reader


class EditError(Exception):
    """A topic-file edit cannot be made as asked; nothing was written. The message is for
    the command line and the log; `code` and `details` (file, id) let the console say it in
    its own words (bot/web/kb_problems.py)."""

    def __init__(self, message: str, code: str = "", **details: Any):
        super().__init__(message)
        self.code, self.details = code, details


def _plain(node: Any) -> Any:
    """A parsed YAML value as plain Python, texts stripped (what the loader compares)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    if isinstance(node, str):
        return node.strip()
    return node


def _yaml_value(value: Any) -> Any:
    """A plain value as ruamel should write it: multi-line text as a `|` block."""
    if isinstance(value, str):
        text = value.strip()
        if _ODD_BREAKS & set(text) or not _PRINTABLE.match(text):
            return DoubleQuotedScalarString(text)  # escaped: \N, \L, \x99 ...
        return LiteralScalarString(text + "\n") if "\n" in text else text
    if isinstance(value, CommentedSeq | CommentedMap):
        return value  # from the file itself: keeps its style (e.g. a [flow, list])
    if isinstance(value, list):
        return CommentedSeq([_yaml_value(v) for v in value])
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _yaml_value(v)
        return out
    return value


def _like(old: Any, new: Any) -> Any:
    """`new` written in the style of `old`: a [flow, list] of texts stays one."""
    if (
        isinstance(old, CommentedSeq)
        and old.fa.flow_style()
        and isinstance(new, list)
        and all(isinstance(v, str) and "\n" not in v for v in new)
        and _plain(old) != _plain(new)
    ):
        seq = CommentedSeq([_yaml_value(v) for v in new])
        seq.fa.set_flow_style()
        return seq
    return new


def yaml_value(value: Any) -> Any:
    """Plain values (dicts, lists, texts, dates) as the topic files write them."""
    return _yaml_value(value)


def _dump_lines(data: Any, column: int) -> list[str]:
    stream = io.StringIO()
    round_trip_yaml().dump(data, stream)
    lines = stream.getvalue().split("\n")  # not splitlines(): U+2028 stays inside scalars
    while lines and not lines[-1].strip():
        lines.pop()
    return [(" " * column + line) if line.strip() else "" for line in lines]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@dataclass
class TopicFile:
    """One topic file's text, its parse, and the edits staged on it."""

    path: Path
    original: bytes
    lines: list[str]
    data: CommentedMap
    expected: dict  # the plain values the edited file must parse to
    edits: list[tuple[int, int, list[str]]] = field(default_factory=list)
    appended: str = ""

    @classmethod
    def open(cls, path: Path) -> TopicFile:
        original = path.read_bytes()
        try:
            text = original.decode("utf-8")
            data = parsed_topic(text)  # shared with the loader: only read here
        except (UnicodeDecodeError, YAMLError, ValueError) as exc:
            raise EditError(
                f"{path.name}: cannot be edited until it is valid YAML: {exc}",
                "invalid-file",
                file=path.name,
            ) from exc
        if not isinstance(data, CommentedMap) or not isinstance(data.get("entries"), list):
            raise EditError(
                f"{path.name}: not a topic file with an `entries:` list",
                "invalid-file",
                file=path.name,
            )
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(path, original, lines, data, _plain(data))

    # Where things are ---------------------------------------------------------------------

    def _trimmed(self, start: int, end: int, column: int) -> int:
        """`end` moved back over trailing blank lines and comments at or left of `column`:
        they belong to what follows."""
        while end > start + 1:
            line = self.lines[end - 1]
            if line.strip() and not (line.lstrip().startswith("#") and _indent(line) <= column):
                break
            end -= 1
        return end

    def _key_span(self, node: CommentedMap, key: str, end: int) -> tuple[int, int, int]:
        """(first line, end line, column) of `key` in `node`, whose lines end before `end`."""
        keys = list(node)
        start, column = node.lc.key(key)
        following = keys.index(key) + 1
        stop = node.lc.key(keys[following])[0] if following < len(keys) else end
        return start, self._trimmed(start, stop, column), column

    def _entries_end(self) -> int:
        return self._key_span(self.data, "entries", len(self.lines))[1]

    def _entry(self, entry_id: str) -> tuple[int, CommentedMap, int]:
        """(index, node, end line) of the entry `entry_id`."""
        entries = self.data["entries"]
        for i, node in enumerate(entries):
            if isinstance(node, CommentedMap) and node.get("id") == entry_id:
                stop = entries.lc.item(i + 1)[0] if i + 1 < len(entries) else self._entries_end()
                column = node.lc.key("id")[1]
                return i, node, self._trimmed(node.lc.line, stop, column)
        raise EditError(f"{self.path.name}: no entry {entry_id!r}")

    def has_entry(self, entry_id: str) -> bool:
        return any(isinstance(n, dict) and n.get("id") == entry_id for n in self.data["entries"])

    # Edits --------------------------------------------------------------------------------

    def _set_keys(self, node: CommentedMap, end: int, values: dict[str, Any]) -> None:
        """Set `values` in mapping `node` (ending before `end`): a changed key's lines are
        replaced in place, a new key is added after the last one."""
        if node.fa.flow_style():
            raise EditError(
                f"{self.path.name}: a {{...}} mapping cannot be edited here; edit by hand",
                "layout",
                file=self.path.name,
            )
        column = node.lc.key(next(iter(node)))[1] if node else None
        added = {}
        for key, value in values.items():
            if key in node:
                if _plain(node[key]) == _plain(value):
                    continue
                start, stop, col = self._key_span(node, key, end)
                self.edits.append((start, stop, _dump_lines({key: _yaml_value(value)}, col)))
            else:
                added[key] = _yaml_value(value)
        if added:
            assert column is not None
            last = list(node)[-1]
            at = self._key_span(node, last, end)[1]
            self.edits.append((at, at, _dump_lines(added, column)))

    def _entry_expected(self, index: int) -> dict:
        return self.expected["entries"][index]

    def set_translation(self, entry_id: str, lang: str, values: dict[str, Any]) -> None:
        """Create or update `translations: {lang: ...}` of an entry with `values` (question,
        alternates, answer, links, source, reviewed; other keys it has are kept)."""
        index, node, end = self._entry(entry_id)
        expected = self._entry_expected(index)
        translations = node.get("translations")
        if translations is None:
            column = node.lc.key("id")[1]
            last = list(node)[-1]
            at = self._key_span(node, last, end)[1]
            block = {"translations": {lang: _yaml_value(values)}}
            self.edits.append((at, at, _dump_lines(block, column)))
            expected["translations"] = {lang: _plain(values)}
            return
        if not isinstance(translations, CommentedMap) or not translations:
            raise EditError(f"{self.path.name} [{entry_id}]: `translations` is not a mapping")
        t_end = self._key_span(node, "translations", end)[1]
        if lang in translations:
            block = translations[lang]
            if not isinstance(block, CommentedMap):
                raise EditError(f"{self.path.name} [{entry_id}]: translation {lang!r} is odd")
            self._set_keys(block, self._key_span(translations, lang, t_end)[1], values)
            expected["translations"][lang].update(_plain(values))
        else:
            self._set_keys(translations, t_end, {lang: values})
            expected["translations"][lang] = _plain(values)

    def append_alternates(self, entry_id: str, lang: str | None, texts: list[str]) -> None:
        """Add `texts` at the end of the entry's `alternates` (or its translation's)."""
        index, node, end = self._entry(entry_id)
        expected = self._entry_expected(index)
        if lang is not None:
            t_end = self._key_span(node, "translations", end)[1]
            end = self._key_span(node["translations"], lang, t_end)[1]
            node, expected = node["translations"][lang], expected["translations"][lang]
        self._append_list(node, expected, end, "alternates", texts)

    def append_phrasings(self, entry_id: str, texts: dict[str, list[str]]) -> None:
        """Add `texts` ({lang: [...]}) to the entry's `phrasings` (matched, never shown), the
        place for languages the entry has no curated translation into."""
        index, node, end = self._entry(entry_id)
        expected = self._entry_expected(index)
        texts = {lang: [t.strip() for t in items] for lang, items in texts.items() if items}
        if not isinstance(node.get("phrasings"), CommentedMap) or not node["phrasings"]:
            self._set_keys(node, end, {"phrasings": texts})
            expected["phrasings"] = texts
            return
        end = self._key_span(node, "phrasings", end)[1]
        node, expected = node["phrasings"], expected["phrasings"]
        # Staged later lands earlier at the same line: new languages first, so that the
        # lines added to the last language stay inside it.
        added = {lang: items for lang, items in texts.items() if lang not in node}
        if added:
            self._set_keys(node, end, added)
            expected.update(added)
        for lang, items in texts.items():
            if lang not in added:
                self._append_list(node, expected, self._key_span(node, lang, end)[1], lang, items)

    def drop_phrasings(self, entry_id: str, lang: str) -> None:
        """Remove the entry's `phrasings.<lang>` (the whole `phrasings` key when that is its
        only language): a curated translation into `lang` takes them as its alternates."""
        index, node, end = self._entry(entry_id)
        expected = self._entry_expected(index)
        phrasings = node.get("phrasings")
        if not isinstance(phrasings, CommentedMap) or lang not in phrasings:
            return
        if len(phrasings) == 1:
            self._drop_key(node, "phrasings", end)
            expected.pop("phrasings", None)
            return
        if phrasings.fa.flow_style():
            raise EditError(f"{self.path.name}: a {{...}} mapping cannot be edited here")
        self._drop_key(phrasings, lang, self._key_span(node, "phrasings", end)[1])
        expected["phrasings"].pop(lang, None)

    def _append_list(
        self, node: CommentedMap, expected: dict, end: int, key: str, texts: list[str]
    ) -> None:
        """Add `texts` at the end of the list under `key` of mapping `node` (ending at `end`)."""
        current = node.get(key)
        expected[key] = [*expected.get(key, []), *map(str.strip, texts)]
        if not isinstance(current, CommentedSeq) or not current or current.fa.flow_style():
            seq = copy.deepcopy(current) if isinstance(current, CommentedSeq) else CommentedSeq()
            seq.extend(_yaml_value(t) for t in texts)
            self._set_keys(node, end, {key: seq})
            return
        stop = self._key_span(node, key, end)[1]
        dash = _indent(self.lines[current.lc.item(0)[0]])
        items = _dump_lines({"x": _yaml_value(list(texts))}, 0)[1:]
        cut = _indent(items[0])  # where the dump put its dashes; lines below keep their depth
        self.edits.append((stop, stop, [" " * dash + line[cut:] if line else "" for line in items]))

    def set_topic_name(self, lang: str, name: str, kb_language: str) -> None:
        topic = self.data.get("topic")
        end = len(self.lines)
        if isinstance(topic, CommentedMap) and topic and topic.fa.flow_style():
            names = copy.deepcopy(topic)  # `topic: {en: ..., zh: ...}` stays on its line
            names[lang] = name
            self._set_keys(self.data, end, {"topic": names})
        elif isinstance(topic, CommentedMap) and topic:
            self._set_keys(topic, self._key_span(self.data, "topic", end)[1], {lang: name})
        elif isinstance(topic, str):
            self._set_keys(self.data, end, {"topic": {kb_language: topic.strip(), lang: name}})
        else:
            at = self.data.lc.key("entries")[0]  # just before `entries:`
            self.edits.append((at, at, _dump_lines({"topic": {lang: name}}, 0)))
            self.expected["topic"] = {}
        if isinstance(self.expected.get("topic"), str):
            self.expected["topic"] = {kb_language: self.expected["topic"]}
        self.expected["topic"][lang] = name.strip()

    def entry_text(self, entry_id: str) -> str:
        """The lines of entry `entry_id` as they stand in the file (its `- id:` line first)."""
        _, node, end = self._entry(entry_id)
        return "\n".join(self.lines[node.lc.line : end]) + "\n"

    def entry_values(self, entry_id: str) -> dict:
        """The plain values of entry `entry_id` (texts stripped, dates as text)."""
        index, _, _ = self._entry(entry_id)
        return copy.deepcopy(self._entry_expected(index))

    def _drop_key(self, node: CommentedMap, key: str, end: int) -> None:
        start, stop, _ = self._key_span(node, key, end)
        self.edits.append((start, stop, []))

    def _replace_keys(self, node: CommentedMap, end: int, values: dict[str, Any]) -> None:
        """Make mapping `node` hold exactly `values`: changed keys rewritten in place, missing
        ones added after the last, keys not in `values` removed; other lines untouched."""
        if node.fa.flow_style():
            raise EditError(f"{self.path.name}: a {{...}} mapping cannot be edited here")
        for key in [k for k in node if k not in values]:
            self._drop_key(node, key, end)
        styled = {key: _like(node.get(key), value) for key, value in values.items()}
        self._set_keys(node, end, styled)

    def replace_entry(self, entry_id: str, values: dict[str, Any]) -> None:
        """Make entry `entry_id` hold exactly `values` (every key, `translations` included):
        only the lines of what changed are rewritten; comments and layout stay."""
        if values.get("id") != entry_id:
            raise EditError(f"{self.path.name}: the id of entry {entry_id!r} cannot change")
        index, node, end = self._entry(entry_id)
        own = {k: v for k, v in values.items() if k != "translations"}
        wanted = values.get("translations") or {}
        current = node.get("translations")
        if not wanted:
            self._replace_keys(node, end, own)  # a `translations` key goes
        elif not isinstance(current, CommentedMap) or not current:
            self._replace_keys(node, end, {**own, "translations": wanted})
        else:
            if current.fa.flow_style():
                raise EditError(f"{self.path.name} [{entry_id}]: `translations` is odd")
            self._replace_keys(node, end, {**own, "translations": current})
            t_end = self._key_span(node, "translations", end)[1]
            # Staged later lands earlier at the same line: new languages go first, so that
            # keys added to the last language stay inside it.
            added = {lang: tr for lang, tr in wanted.items() if lang not in current}
            if added:
                self._set_keys(current, t_end, added)
            for lang in [code for code in current if code not in wanted]:
                self._drop_key(current, lang, t_end)
            for lang, tr in wanted.items():
                block = current.get(lang)
                if isinstance(block, CommentedMap) and block and not block.fa.flow_style():
                    self._replace_keys(block, self._key_span(current, lang, t_end)[1], tr)
                elif lang in current:
                    self._set_keys(current, t_end, {lang: tr})
        self.expected["entries"][index] = _plain(values)

    def remove_entry(self, entry_id: str) -> None:
        """Remove entry `entry_id`'s lines (those `entry_text` gives). Stage any other edit
        of this file's entries before this one. A topic keeps at least one entry."""
        _, node, end = self._entry(entry_id)
        left = [e for e in self.expected["entries"] if e.get("id") != entry_id]
        if not left:
            raise EditError(
                f"{self.path.name}: {entry_id!r} is the topic's only entry; a topic needs one "
                "(add another entry to it first, or remove the topic file by hand)",
                "only-entry",
                file=self.path.name,
                id=entry_id,
            )
        self.edits.append((node.lc.line, end, []))
        self.expected["entries"] = left

    def append_text(self, text: str, parsed_entry: dict) -> None:
        """Append `text` (one `entries:` item, already indented) at the end of the file."""
        self.appended += text
        self.expected["entries"].append(_plain(parsed_entry))

    # Result -------------------------------------------------------------------------------

    def text(self) -> str:
        lines = list(self.lines)
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[start:end] = new
        text = "\n".join(lines) + "\n" if lines else ""
        if self.appended:
            text += self.appended
        return text

    @property
    def changed(self) -> bool:
        return bool(self.edits or self.appended)

    def check(self) -> str:
        """The edited text, after checking it says what the edits meant and nothing else."""
        text = self.text()
        try:
            after = _plain(parsed_topic(text))
        except (YAMLError, ValueError) as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise EditError(
                f"nothing written: the knowledge base would not validate:\n"
                f"{self.path.name}: invalid YAML after the edit: {problem}"
            ) from exc
        if self.appended and after.get("entries") != self.expected.get("entries"):
            raise EditError(
                f"nothing written: the new entry did not land in the `entries` list of "
                f"{self.path.name} (what ends the file would swallow it)",
                "layout",
                file=self.path.name,
            )
        if after != self.expected:
            raise EditError(
                f"{self.path.name}: the edit would change more than asked (an unusual layout "
                "around it?); nothing written: make this change by hand",
                "layout",
                file=self.path.name,
            )
        return text


class Edit:
    """Staged edits to the topic files of one knowledge folder."""

    def __init__(self, kb_dir: Path, language: str, cache_dir: Path | None = None):
        self.kb_dir = Path(kb_dir)
        self.language = language
        self.cache_dir = cache_dir  # the validated result is cached there, for the reload
        self.files: dict[str, TopicFile] = {}

    def file(self, name: str) -> TopicFile:
        if name not in self.files:
            path = self.kb_dir / name
            if path.resolve() not in {p.resolve() for p in topic_files(self.kb_dir)}:
                raise EditError(f"{path}: not a topic file (*.yaml, not the glossary)")
            self.files[name] = TopicFile.open(path)
        return self.files[name]

    def file_of(self, kb: KnowledgeBase, entry_id: str) -> TopicFile:
        return self.file(kb.by_id[entry_id].source.rsplit(":", 1)[0])

    def commit(
        self, must_have: tuple[str, ...] = (), cache_dir: Path | None = None
    ) -> KnowledgeBase | None:
        """Validate the knowledge base with every staged file, then write the changed ones.
        Returns the staged knowledge base (None when nothing changed). With `cache_dir`
        (the bot's knowledge cache) the validated result is cached by content, so that the
        reload after the write skips parsing the YAML again."""
        changed = {name: f for name, f in self.files.items() if f.changed}
        if not changed:
            return None
        texts = {name: f.check() for name, f in changed.items()}
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / "kb"
            shutil.copytree(self.kb_dir, staged)
            for name, text in texts.items():
                (staged / name).write_text(text, encoding="utf-8", newline="")
            try:
                kb = load_knowledge(staged, self.language, cache_dir or self.cache_dir)
            except KnowledgeError as exc:
                lines = "\n".join(str(p) for p in exc.problems)
                raise EditError(
                    f"nothing written: the knowledge base would not validate:\n{lines}"
                ) from exc
        for eid in must_have:
            if eid not in kb.by_id:
                raise EditError(f"nothing written: entry {eid!r} did not land in `entries`")
        for f in changed.values():
            if f.path.read_bytes() != f.original:
                raise EditError(
                    f"{f.path} changed while it was being edited; nothing written",
                    "file-changed",
                    file=f.path.name,
                )
        for name, f in changed.items():
            replace_file(f.path, f.original, texts[name])
        return kb


def stage(kb_dir: Path, language: str = "en", cache_dir: Path | None = None) -> Edit:
    """Stage edits to `kb_dir`. With `cache_dir`, the knowledge base validated at commit is
    cached there (bot/kbcache.py), so that loading it again after the write parses nothing."""
    return Edit(kb_dir, language, cache_dir)


def replace_file(path: Path, original: bytes, text: str) -> None:
    """Write `text` to `path` atomically (its mode kept), unless it changed meanwhile."""
    if path.read_bytes() != original:
        raise EditError(
            f"{path} changed while it was being edited; try again", "file-changed", file=path.name
        )
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False, newline=""
    ) as tmp:
        tmp.write(text)
    try:
        shutil.copymode(path, tmp.name)  # not the temporary file's 0600
        os.replace(tmp.name, path)
    except OSError:
        Path(tmp.name).unlink(missing_ok=True)
        raise
