"""Edit YAML documents through ruamel.yaml's round-trip loader, and write back only what changed.

ruamel.yaml keeps comments, key order, quoting and flow style of what it loaded, but re-emits a
whole file in one indentation style and spells some scalars its own way (`null` as nothing).
So the file is emitted twice, before and after the edits, and only the lines the edits changed
go back into the original text (kubeaudit.fix.splice); every other byte stays the file's own.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kubeaudit.engine.fixes import Edit
from kubeaudit.fix.splice import splice_lines
from kubeaudit.model import Path, format_path

EXTRA = "fix"  # pip install 'kubeaudit[fix]'
MISSING_MESSAGE = f"kubeaudit fix needs ruamel.yaml: pip install 'kubeaudit[{EXTRA}]'"


class FixUnavailable(Exception):
    """The round-trip YAML library (the `fix` extra) is not installed."""


class EditError(Exception):
    """An edit that cannot be made to this document (a path through a value that is not a mapping)."""


def require_roundtrip() -> None:
    """Raise FixUnavailable, with the extra to install, when ruamel.yaml is missing."""
    _yaml_module()


def _yaml_module() -> Any:
    try:
        from ruamel import yaml
    except ImportError as exc:
        raise FixUnavailable(MISSING_MESSAGE) from exc
    return yaml


_KEY_LINE = re.compile(r"^( *)(- +)?[^\s#-][^:#]*:\s*(#.*)?$")  # `key:` opening a block


def guess_indent(lines: list[str]) -> tuple[int, int]:
    """(mapping indent, offset of a list's dash below its key), the most common in the text, for
    ruamel's emitter: the closer its style is to the file's, the fewer lines differ."""
    mapping: Counter[int] = Counter()
    dash: Counter[int] = Counter()
    content = [(len(line) - len(line.lstrip(" ")), line.strip()) for line in lines if line.strip()]
    content = [(indent, text) for indent, text in content if not text.startswith("#")]
    for (indent, text), (next_indent, next_text) in itertools.pairwise(content):
        match = _KEY_LINE.match(" " * indent + text)
        if not match:
            continue
        key_column = indent + len(match.group(2) or "")
        if next_text.startswith("- ") or next_text == "-":
            dash[next_indent - key_column] += 1
        elif next_indent > key_column:
            mapping[next_indent - key_column] += 1
    indent = mapping.most_common(1)[0][0] if mapping else 2
    offset = dash.most_common(1)[0][0] if dash else 0
    return max(indent, 1), max(offset, 0)


_DOCUMENT_MARK = re.compile(r"^(---|\.\.\.)(\s|$)")


def document_texts(text: str) -> list[list[str]]:
    """The lines of each document that has content, split at `---` and `...` marks."""
    chunks: list[list[str]] = [[]]
    for line in text.splitlines():
        if _DOCUMENT_MARK.match(line):
            chunks.append([])
        else:
            chunks[-1].append(line)
    return [c for c in chunks if any(x.strip() and not x.lstrip().startswith("#") for x in c)]


@dataclass(slots=True)
class RoundTrip:
    """One file's documents as ruamel.yaml loaded them, each emitted in the indentation its own
    text uses most (a file may hold documents of several styles)."""

    documents: list[Any]
    yaml: Any
    styles: list[tuple[int, int]]  # (mapping indent, list dash offset) per document

    @classmethod
    def load(cls, text: str) -> RoundTrip:
        module = _yaml_module()
        yaml = module.YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 1 << 16  # never fold a long line
        documents = list(yaml.load_all(text))
        whole = guess_indent(text.splitlines())
        chunks = document_texts(text)
        present = [d for d in documents if d is not None]
        if len(chunks) == len(present):
            found = iter([guess_indent(c) for c in chunks])
            styles = [next(found) if d is not None else whole for d in documents]
        else:
            styles = [whole] * len(documents)
        return cls(documents, yaml, styles)

    def emit(self) -> str:
        out = io.StringIO()
        for index, (document, (indent, offset)) in enumerate(zip(self.documents, self.styles, strict=True)):
            if index:
                out.write("---\n")
            self.yaml.indent(mapping=indent, sequence=offset + 2, offset=offset)
            self.yaml.dump(document, out)
        return out.getvalue()


def apply_edits(document: Any, edits: list[Edit]) -> list[Edit]:
    """Make the edits in one loaded document; return those that changed it. Removals come last,
    list items from the highest index down, so an earlier removal does not move a later one."""
    changed = []
    ordered = [e for e in edits if e.operation != "remove"]
    ordered += sorted((e for e in edits if e.operation == "remove"), key=lambda e: _sort_key(e.path), reverse=True)
    operations = {"set": _set, "add": _add, "remove": lambda d, p, _v: _remove(d, p)}
    for edit in ordered:
        if operations[edit.operation](document, edit.path, edit.value):
            changed.append(edit)
    return changed


def _sort_key(path: Path) -> tuple[tuple[int, int, str], ...]:
    return tuple((1, part, "") if isinstance(part, int) else (0, 0, part) for part in path)


def _container(document: Any, path: Path, create: bool) -> Any:
    """The mapping or list holding path[-1]; with `create`, mappings are made where missing or null."""
    comments = _yaml_module().comments
    node = document
    for depth, part in enumerate(path[:-1]):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise EditError(f"{format_path(path[: depth + 1])} does not exist")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise EditError(f"{format_path(path[:depth]) or 'the document'} is not a mapping")
        child = node.get(part)
        if child is None:
            if not create:
                return None
            child = comments.CommentedMap()
            node[part] = child
        node = child
    return node


def _set(document: Any, path: Path, value: Any) -> bool:
    parent = _container(document, path, create=True)
    key = path[-1]
    if isinstance(key, int):
        if not isinstance(parent, list) or key >= len(parent):
            raise EditError(f"{format_path(path)} does not exist")
    elif not isinstance(parent, dict):
        raise EditError(f"{format_path(path[:-1])} is not a mapping")
    elif key in parent and parent[key] == value and type(parent[key]) is type(value):
        return False
    if isinstance(key, int) and parent[key] == value:
        return False
    parent[key] = value
    return True


def _add(document: Any, path: Path, value: Any) -> bool:
    comments = _yaml_module().comments
    parent = _container(document, path, create=True)
    key = path[-1]
    if not isinstance(parent, dict) or isinstance(key, int):
        raise EditError(f"{format_path(path[:-1])} is not a mapping")
    found = parent.get(key)
    if found is None:
        parent[key] = comments.CommentedSeq([value])
        return True
    if not isinstance(found, list):
        raise EditError(f"{format_path(path)} is not a list")
    if value in found:
        return False
    found.append(value)
    return True


def _remove(document: Any, path: Path) -> bool:
    """Remove the key or list item; a mapping or list left empty goes too (`securityContext: {}`
    says nothing a missing one does not), up to the document's top level."""
    parent = _container(document, path, create=False)
    key = path[-1]
    in_mapping = isinstance(parent, dict) and not isinstance(key, int) and key in parent
    in_list = isinstance(parent, list) and isinstance(key, int) and key < len(parent)
    if not (in_mapping or in_list):
        return False
    del parent[key]
    if len(path) > 2 and not parent:
        _remove(document, path[:-1])
    return True


@dataclass(frozen=True, slots=True)
class Prepared:
    """A file's text ready for edits: line ends and byte order mark set aside, and ruamel's
    emission of it unedited, made once for every rewrite of the file."""

    bom: str
    crlf: bool
    plain: str  # '\n' line ends, no byte order mark
    before: str

    @classmethod
    def of(cls, text: str) -> Prepared:
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        crlf = "\r\n" in text
        plain = text[len(bom) :].replace("\r\n", "\n") if crlf else text[len(bom) :]
        return cls(bom, crlf, plain, RoundTrip.load(plain).emit())


def rewrite(
    text: str, edits_by_document: dict[int, list[Edit]], prepared: Prepared | None = None
) -> tuple[str, list[Edit]]:
    """The file's text with the edits made (document index -> edits), and the edits that changed
    something. Lines the edits did not touch keep their bytes; line ends and a byte order mark
    are kept as the file has them. `prepared`: Prepared.of(text), when the file is rewritten
    more than once (the documents are loaded afresh each time: a copy would lose comments)."""
    prepared = prepared or Prepared.of(text)
    trip = RoundTrip.load(prepared.plain)
    changed: list[Edit] = []
    for index, edits in sorted(edits_by_document.items()):
        if index >= len(trip.documents):
            raise EditError(f"document {index + 1} not found")
        changed += apply_edits(trip.documents[index], edits)
    if not changed:
        return text, []
    after = trip.emit()
    lines = splice_lines(prepared.plain.splitlines(True), prepared.before.splitlines(True), after.splitlines(True))
    fixed = "".join(lines)
    check_same_data(fixed, after)
    if prepared.crlf:
        fixed = fixed.replace("\n", "\r\n")
    return prepared.bom + fixed, changed


def check_same_data(fixed: str, emitted: str) -> None:
    """The spliced text must hold exactly the data ruamel.yaml emitted for the edited documents."""
    import yaml

    try:
        got = list(yaml.safe_load_all(fixed))
    except yaml.YAMLError as exc:
        raise EditError(f"the edited file would not parse ({exc.__class__.__name__}); nothing written") from exc
    if got != list(yaml.safe_load_all(emitted)):
        raise EditError("the edit could not be made without reformatting other lines; nothing written")
