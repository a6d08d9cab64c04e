"""Put only the lines an edit changed back into the original text.

Three versions of a file: the original text, ruamel.yaml's emission of it unedited (`before`),
and its emission edited (`after`). `before` differs from the original only where ruamel spells
things its own way (indentation, spaces in flow collections, `null`, document end markers);
`after` differs from `before` only where the edits are. Lines of `before` that the edits kept
are paired with the original's (ignoring whitespace); between two such anchors, a stretch the
edits did not touch keeps the original's lines, and in a stretch they did every line the edits
kept is still the original's, and each new line is moved to the original's indentation: as far
as the nearest line above it at its level or shallower was moved.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def _normal(line: str) -> str:
    return "".join(line.split())


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start_a, start_b, size in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(size):
            found[start_a + k] = start_b + k
    return found


def level_of(line: str) -> int:
    """The column a line's content starts at: after the indentation and any `- ` list dashes."""
    column = len(line) - len(line.lstrip(" "))
    while line.startswith("- ", column) or line.startswith("-\t", column):
        column += 1
        while column < len(line) and line[column] == " ":
            column += 1
    return column


def _paired(before: list[str], original: list[str]) -> tuple[dict[int, int], set[int], set[int]]:
    """before index -> original index for the lines that are one line spelled two ways, the
    original lines that have no counterpart in `before` (kept wherever they are), and the `before`
    lines whose counterpart is spelled differently (not just indented: `key: null` as `key:`)."""
    pairs: dict[int, int] = {}
    alone: set[int] = set()
    respelled: set[int] = set()
    matcher = SequenceMatcher(None, [_normal(x) for x in before], [_normal(x) for x in original], autojunk=False)
    for tag, b1, b2, o1, o2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and b2 - b1 == o2 - o1):
            pairs.update({b1 + k: o1 + k for k in range(b2 - b1)})
            respelled.update(range(b1, b2) if tag == "replace" else ())
        elif tag in ("insert", "replace"):
            alone.update(range(o1, o2))
    return pairs, alone, respelled


def _next_kept(kept: dict[int, int], index: int, size: int) -> bool:
    return index + 1 >= size or (index + 1 in kept and kept[index + 1] == kept[index] + 1)


def splice_lines(original: list[str], before: list[str], after: list[str]) -> list[str]:
    pairs, alone, respelled = _paired(before, original)
    kept = _matches(after, before)  # after index -> before index, for lines the edits did not change
    out: list[str] = []
    shifts: list[tuple[int, int]] = []  # (ruamel's level, how far the original moved it) of the lines so far
    next_original = 0

    def flush_to(index: int) -> None:
        nonlocal next_original
        for k in range(next_original, index):
            if k in alone:
                out.append(original[k])
        next_original = max(next_original, index)

    for index, line in enumerate(after):
        source = pairs.get(kept[index]) if index in kept else None
        if source is not None and kept[index] in respelled and not _next_kept(kept, index, len(after)):
            # The original spells this line differently and what follows it is new: `key: null` or
            # `key: {}` that now opens a block. ruamel's spelling is the one that fits.
            source = None
        if source is not None and source >= next_original:
            flush_to(source)
            out.append(original[source])
            next_original = source + 1
            shifts.append((level_of(line), level_of(original[source]) - level_of(line)))
            continue
        level = level_of(line)
        moved = next((s for lvl, s in reversed(shifts) if lvl <= level), 0)
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent + moved < 0:
            out.append(line)
        else:
            out.append(" " * (indent + moved) + line.lstrip(" "))
        shifts.append((level, moved))
    flush_to(len(original))
    return out
