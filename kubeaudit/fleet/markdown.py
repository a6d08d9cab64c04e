"""Text from scanned input, made safe inside GitHub-flavoured Markdown (a pull-request comment).

Names (resources, namespaces, files) come from the scanned repository or cluster, and messages
quote them. Written as they are, a `|` would split a table cell, a `<script>` or `<img onerror>`
would be HTML, `[x](javascript:...)` a link, `@someone` a notification and a newline a new
paragraph. So names go in code spans (never HTML, links or mentions), messages are plain text with
every mark that could start markup backslash-escaped, and both show line breaks and control characters as
visible escapes (safetext.printable). Every `|` is escaped, which GitHub honours inside code spans
in table cells too.
"""

from __future__ import annotations

import re

from kubeaudit.safetext import printable

# The marks that can start inline Markdown, HTML, an entity, math or a mention mid-line (cells and
# notes are never at the start of a line, so list and heading marks need nothing). CommonMark
# lets a backslash escape any of them.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!&~@$])")
_BACKTICKS = re.compile("`+")
WORD_JOINER = "\u2060"  # invisible; after an @ it stops GitHub reading a mention


def text(value: str) -> str:
    """Plain Markdown text that shows `value` as it is, as one line."""
    escaped = _SPECIAL.sub(r"\\\1", printable(value))
    return escaped.replace("\\@", "\\@" + WORD_JOINER)


def code(value: str) -> str:
    """`value` in a code span, as one line: its backticks need a longer fence, its pipes an escape."""
    shown = printable(value)
    if not shown:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(shown)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {shown} " if shown[0] in "` " or shown[-1] in "` " else shown
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def table(header: list[str], rows: list[list[str]], right: int = 1) -> list[str]:
    """A GFM table of cells already escaped; columns from `right` on are right-aligned (numbers)."""
    align = ["---" if i < right else "---:" for i in range(len(header))]
    return [f"| {' | '.join(line)} |" for line in (header, align, *rows)]
