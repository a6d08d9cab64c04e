"""Writing HTML where every text and attribute value is escaped on the way out.

Text from the scanned input (resource, namespace and file names, messages quoting them) goes
through `printable` first, as in the console report, so a control character or a bidirectional
override shows as a visible escape, then through `html.escape`, so `<script>` in a resource name
is text. Markup is only ever written by this module's callers as literal tag names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache
from html import escape
from typing import TextIO

from kubeaudit.safetext import printable

Attrs = dict[str, str | int | bool | None]


@lru_cache(maxsize=65_536)
def safe(text: str) -> str:
    """Text from anywhere, ready to stand in HTML text or a quoted attribute value. Remembered:
    most of a report's texts repeat (rule ids, families, namespaces, files, titles)."""
    return escape(printable(text), quote=True)


def _attributes(attrs: Attrs) -> str:
    """Attributes as written (names are this package's literals: "class", "data-rule")."""
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{safe(str(value))}"')
    return "".join(parts)


class HtmlWriter:
    """Streams a document: open and close tags, escaped text, nothing kept in memory."""

    def __init__(self, stream: TextIO) -> None:
        self._write = stream.write

    def raw(self, markup: str) -> None:
        """Markup this package wrote itself (the document head, its own stylesheet and script)."""
        self._write(markup)

    def text(self, text: str) -> None:
        self._write(safe(text))

    def lines(self, text: str) -> None:
        """Text of several lines (a rule's remediation), each escaped, kept apart by <br>."""
        self._write("<br>\n".join(safe(line) for line in text.splitlines()))

    def start(self, tag: str, attrs: Attrs | None = None) -> None:
        self._write(f"<{tag}{_attributes(attrs or {})}>")

    def end(self, tag: str) -> None:
        self._write(f"</{tag}>")

    @contextlib.contextmanager
    def tag(self, tag: str, attrs: Attrs | None = None) -> Iterator[None]:
        self.start(tag, attrs)
        yield
        self.end(tag)

    def element(self, tag: str, text: str | int, attrs: Attrs | None = None) -> None:
        self.start(tag, attrs)
        self.text(str(text))
        self.end(tag)

    def link(self, url: str, text: str) -> None:
        """A link out of the report (a rule's reference). Only http and https URLs become links: a
        user's rule file could name a javascript: or data: URL, which is shown as text instead."""
        if url.startswith(("https://", "http://")):
            self.element("a", text, {"href": url, "rel": "noreferrer noopener"})
        else:
            self.text(f"{text} ({url})")
