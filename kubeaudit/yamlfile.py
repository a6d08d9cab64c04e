"""One YAML document from a small file a user points kubeaudit at: the configuration, a kubeconfig,
a kustomization file, a Pod Security admission configuration, a rule fixture's parameters.

Manifests and rule files are read with limits (kubeaudit/yamlnodes.py): numbers Python cannot
hold, nesting deeper than MAX_DEPTH and alias bombs are errors with a line, and only plain tags
build values. Every other YAML file gets the same limits here, and two more that the Kubernetes
tools apply to their own configuration files (sigs.k8s.io/yaml refuses a key set twice): a key set
twice in one mapping and a second document are errors naming their line, not silently dropped.
Only a regular file is read, and at most `max_bytes` of it: a FIFO or /dev/zero given as a
kubeconfig must not hang the scanner or fill its memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yaml.nodes import Node

# Configuration files are a few kilobytes; a kubeconfig with hundreds of contexts is well under this.
MAX_CONFIG_BYTES = 16 * 1024 * 1024


class YamlFileError(ValueError):
    """A file that is not one usable YAML document: the reason, and its line when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"{line}: {message}" if line is not None else message)
        self.message = message
        self.line = line

    def located(self, shown: str) -> str:
        """`file:line: reason`, as every other input error is written."""
        return f"{shown}:{self.line}: {self.message}" if self.line is not None else f"{shown}: {self.message}"


def read_regular_file(path: str | FsPath, max_bytes: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of a regular file of at most max_bytes; OSError or YamlFileError otherwise.

    Opened without blocking and checked with fstat on the open descriptor, so a FIFO put in the
    file's place is refused rather than waited on."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise YamlFileError("not a regular file: not read")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlFileError(f"file too large: more than {max_bytes // (1024 * 1024)} MiB")
    return data


def read_document_file(path: str | FsPath, what: str, max_bytes: int = MAX_CONFIG_BYTES) -> Any:
    """The one YAML document in the file at `path` as plain data (None for an empty file).
    Raises OSError when it cannot be read, YamlFileError when it is not one valid document."""
    return load_document(read_regular_file(path, max_bytes), what)[0]


def load_document(text: str | bytes, what: str) -> tuple[Any, Node | None]:
    """The one YAML document in `text` as plain data, and its node tree for line look-ups
    (None, None for an empty text). `what` names the file in messages ("config", "kubeconfig")."""
    import yaml

    from kubeaudit.yamlnodes import YamlDocumentError, check_expanded_size, compose_documents, construct, yaml_error

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise YamlFileError(f"not UTF-8 text (byte {exc.start})") from exc
    try:
        nodes = [n for n in compose_documents(text) if n is not None]
        if len(nodes) > 1:  # the second document would be silently ignored
            line = nodes[1].start_mark.line + 1
            raise YamlFileError(f"a {what} file holds one YAML document; this is a second one", line)
        if not nodes:
            return None, None
        duplicate = duplicate_key(nodes[0])
        if duplicate is not None:  # the last one would silently win
            key, line, first = duplicate
            raise YamlFileError(f"duplicate key {key!r} (first set on line {first})", line)
        data = construct(nodes[0])
        check_expanded_size(data, what, nodes[0].start_mark.line + 1)
    except yaml.YAMLError as exc:
        error = yaml_error(exc, text=text)
        raise YamlFileError(error.message, error.line) from exc
    except YamlDocumentError as exc:
        raise YamlFileError(exc.message, exc.line) from exc
    return data, nodes[0]


def duplicate_key(root: Node) -> tuple[str, int, int] | None:
    """The first key set twice in one mapping: (key, line, line of the first), if any."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    pending = [root]
    seen: set[int] = set()  # an alias shares its node: visit it once (also ends a recursive alias)
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode):
                    line = key_node.start_mark.line + 1
                    if key_node.value in first_line:
                        return key_node.value, line, first_line[key_node.value]
                    first_line[key_node.value] = line
                pending.append(value_node)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return None
