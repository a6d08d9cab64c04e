"""Indented JSON, byte for byte what `json.dump(value, stream, indent=2)` writes, in 60% of its time.

The standard library uses its C encoder only without an indent; an indented report goes through
its pure-Python encoder, one generator step per value (0.58 s for the 41 MB report of a
10,000-resource scan). Most of a report's text is strings that repeat (every finding of a rule
has its title and remediation, every finding of a file its path), so here each distinct string is
encoded once, by the C string encoder, and containers are joined with their indents in plain
loops (0.34 s for the same report). Anything unusual for a report (a key that is not a string, a
tuple, a subclass of str) is encoded as the standard library encodes it, so the output is always
the standard library's; tests/report/test_jsontext.py holds that against generated documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii
from typing import Any, TextIO

import orjson

INDENT = 2
STREAMED_LEVELS = 2  # by default the document and its lists (findings...) are written piece by piece
# Encoded strings kept per document, counted in characters (bounded whatever the report holds: a
# report's messages rarely repeat, and remembering each of 200,000 would hold them all twice).
MAX_REMEMBERED_CHARS = 4_000_000


class Items:
    """A list written item by item as its items are made, for `dump`: a report's findings are
    turned into JSON one at a time and each is dropped once written, so the document is never
    held whole. It can be written once.

    `plain` promises that the items hold nothing but strings (not subclasses), integers, booleans,
    None, lists and dicts with string keys (no floats, tuples or other types): such an item is
    encoded by orjson's C encoder, which writes those values exactly as json.dumps(indent=2) does
    but for characters past printable ASCII, which are then escaped as json escapes them (the rare
    item orjson refuses, with an integer past 64 bits or a lone surrogate, takes the general path)."""

    __slots__ = ("_items", "plain")

    def __init__(self, items: Iterable[Any], plain: bool = False) -> None:
        self._items: Iterator[Any] = iter(items)
        self.plain = plain

    def __iter__(self) -> Iterator[Any]:
        return self._items


def dumps(value: Any) -> str:
    """`json.dumps(value, indent=2)`, faster."""
    return encode(value, 0)


def dump(value: Any, stream: TextIO, streamed_levels: int = STREAMED_LEVELS) -> None:
    """`json.dump(value, stream, indent=2)`, faster: the containers of the top `streamed_levels`
    levels are written item by item (a report's findings one by one), so the whole text is never
    held at once. An `Items` anywhere in those levels is written as a list of what it yields."""
    _Writer(streamed_levels).stream(value, 0, stream.write)


def encode(value: Any, level: int) -> str:
    """`value` as json.dumps(..., indent=2) writes it when it sits `level` containers deep (its
    first line unindented, its closing bracket indented to `level`), for writing a report in parts."""
    return _Writer().value(value, level)


class _Writer:
    """One document's encoding. A report repeats most of its strings (every finding of a rule has
    its title and remediation, every finding of a file its path), so each string is encoded once;
    numbers and anything unusual go to the standard library's encoder."""

    __slots__ = ("room", "streamed_levels", "strings")

    def __init__(self, streamed_levels: int = 0) -> None:
        self.strings: dict[str, str] = {}
        self.streamed_levels = streamed_levels
        self.room = MAX_REMEMBERED_CHARS

    def string(self, text: str) -> str:
        found = self.strings.get(text)
        if found is None:
            found = encode_basestring_ascii(text)
            if self.room > 0:
                self.strings[text] = found
                self.room -= len(found)
        return found

    def value(self, value: Any, level: int) -> str:
        kind = type(value)
        if kind is str:
            return self.string(value)
        if kind is dict:
            return self.mapping(value, level) if value else "{}"
        if kind is list:
            return self.sequence(value, level) if value else "[]"
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if kind is int:
            return int.__repr__(value)
        if kind is float:
            return json.dumps(value)  # repr, or NaN / Infinity as json spells them
        return _stdlib(value, level)  # tuples, subclasses of str or dict...: as the standard library writes them

    def stream(self, value: Any, level: int, write: Callable[[str], Any]) -> None:
        kind = type(value)
        if kind is Items:
            self.items(value, level, write)
            return
        if level >= self.streamed_levels or not value or kind not in (dict, list):
            write(self.value(value, level))
            return
        inner = "\n" + " " * (INDENT * (level + 1))
        write("{" if kind is dict else "[")
        first = True
        for item in value.items() if kind is dict else value:
            write(inner if first else "," + inner)
            first = False
            if kind is dict:
                key, item = item
                if type(key) is not str:
                    write(json.dumps({key: 0})[1:-2])  # `1.5: ` of `{1.5: 0}`
                else:
                    write(self.string(key) + ": ")
            self.stream(item, level + 1, write)
        write("\n" + " " * (INDENT * level) + ("}" if kind is dict else "]"))

    def items(self, value: Items, level: int, write: Callable[[str], Any]) -> None:
        """A list of what `value` yields, each item encoded and written as soon as it comes."""
        inner = "\n" + " " * (INDENT * (level + 1))
        first = True
        plain = value.plain
        for item in value:
            write("[" + inner if first else "," + inner)
            first = False
            text = _plain_text(item, inner) if plain else None
            write(self.value(item, level + 1) if text is None else text)
        write("[]" if first else "\n" + " " * (INDENT * level) + "]")

    def mapping(self, value: dict[Any, Any], level: int) -> str:
        inner = "\n" + " " * (INDENT * (level + 1))
        deeper = level + 1
        strings, string = self.strings, self.string
        parts = []
        for key, item in value.items():
            # A key that is not a string is converted as json converts it: `{1.5: 0}` less its `: 0}`.
            key_text = (strings.get(key) or string(key)) if type(key) is str else json.dumps({key: 0})[1:-4]
            kind = type(item)  # the common scalars inline: a report is mostly strings
            if kind is str:
                item_text = strings.get(item) or string(item)
            elif item is None:
                item_text = "null"
            elif kind is int:
                item_text = int.__repr__(item)
            else:
                item_text = self.value(item, deeper)
            parts.append(f"{key_text}: {item_text}")
        return "{" + inner + ("," + inner).join(parts) + "\n" + " " * (INDENT * level) + "}"

    def sequence(self, value: list[Any], level: int) -> str:
        inner = "\n" + " " * (INDENT * (level + 1))
        deeper = level + 1
        text = ("," + inner).join([self.value(item, deeper) for item in value])
        return "[" + inner + text + "\n" + " " * (INDENT * level) + "]"


def _plain_text(value: Any, newline: str) -> str | None:
    """A plain value (see `Items`) as json.dumps(value, indent=2) writes it, with each line after
    the first starting with `newline`; None when only the general path writes it the same."""
    try:
        data = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate, deep nesting...
        return None
    if data.isascii() and b"\x7f" not in data:
        return data.decode("ascii").replace("\n", newline)
    # orjson writes other characters as they are, json as \u escapes. Outside strings JSON text is
    # printable ASCII, so escaping each such character wherever it is gives json's text.
    return _UNESCAPED.sub(_escaped, data.decode("utf-8")).replace("\n", newline)


_UNESCAPED = re.compile("[\x7f-\U0010ffff]")


def _escaped(match: re.Match[str]) -> str:
    return encode_basestring_ascii(match.group())[1:-1]  # a character past U+FFFF as a surrogate pair


def _stdlib(value: Any, level: int) -> str:
    """What json.dumps writes for `value` at `level`: its lines after the first indented to it."""
    return json.dumps(value, indent=INDENT).replace("\n", "\n" + " " * (INDENT * level))
