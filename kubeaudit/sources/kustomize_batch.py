"""Overlays built together: one `kubectl kustomize` run renders many overlays, and its output
is cut back into each overlay's own output, exactly as a run on that overlay alone prints it.

Starting kubectl costs more than building a small overlay, so a wrapper kustomization naming
several overlays as its resources saves most of the renderer's time. What one overlay renders
must not depend on the others, so a batch holds only overlays that:
- share no file or base folder (two overlays of one base declare the same resources: kustomize
  refuses them in one build, and their documents could not be told apart);
- use no `vars` (the wrapper would substitute one overlay's variables into another's resources)
  and nothing that fails anyway (remote bases, Helm charts, an unreadable kustomization);
- and, checked on the output, mention no name of another overlay's resources (nor, in a
  `namespace` field, a namespace of them):
  the wrapper's build fixes name references across all its resources (an overlay's `namePrefix`
  or a generated ConfigMap's hash would rename another overlay's reference), so an overlay
  whose output mentions one is rendered again on its own.
Each document goes to the overlay whose file its origin annotation names; a document that
names none of them, or a build that fails, sends the batch's overlays back to one run each.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import yaml

from kubeaudit.sources.projects import Project, kustomization_chain, overlay_pieces, remote_references

# Overlays in one build: enough to make kubectl's start-up negligible, few enough that the
# batches of a big repository spread over the render workers and that a build without garbage
# collection stays small (16 overlays of the bench corpus: about 110 MiB; 32: about 200 MiB).
BATCH_MAX = 16
# Kustomization fields whose overlays are never batched (see the module docstring).
_NOT_BATCHED = ("vars", "helmCharts", "helmChartInflationGenerator")

_SEPARATOR = re.compile(r"^---\n", re.MULTILINE)
# The origin build annotation of a document's top-level metadata, as kustomize writes it.
_ORIGIN = re.compile(r"^    config\.kubernetes\.io/origin: \|\n((?:      .*\n)+)", re.MULTILINE)
_ORIGIN_FILE = re.compile(r"^      (?:path|configuredIn): (.+)$", re.MULTILINE)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def batch_groups(projects: Sequence[Project]) -> list[list[Project]]:
    """The overlays in groups, each built by one run: in order of each group's first overlay,
    each overlay in the first group it shares nothing with; one that cannot be batched alone."""
    groups: list[tuple[list[Project], set[str]]] = []
    for project in projects:
        pieces = _batchable_pieces(project)
        group = None
        if pieces is not None:
            group = next(
                (g for g in groups if g[1] and len(g[0]) < BATCH_MAX and not (g[1] & pieces)),
                None,
            )
        if group is None:
            groups.append(([project], pieces or set()))
        else:
            group[0].append(project)
            group[1].update(pieces or set())
    return [members for members, _ in groups]


def _batchable_pieces(project: Project) -> set[str] | None:
    """The files and folders the overlay is built from, or None when it is rendered alone."""
    chain = list(kustomization_chain(project))
    if not chain or chain[0][0] is not project or chain[0][1].get("kind") == "Component":
        return None  # its kustomization cannot be read: its own run says why
    if any(key in data for _, data in chain for key in _NOT_BATCHED) or remote_references(project):
        return None
    return overlay_pieces(project)


def wrapper_kustomization(targets: Sequence[str]) -> str:
    """The wrapper kustomization naming the overlays (paths relative to it) and asking for the
    build annotations the origin mapping reads."""
    resources = "".join(f"- {_quoted(target)}\n" for target in targets)
    return (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n{resources}"
        "buildMetadata: [originAnnotations, transformerAnnotations]\n"
    )


def _quoted(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_output(text: str, projects: Sequence[Project], wrapper: str) -> list[str] | None:
    """Each overlay's part of a batch's output (its documents, in output order), or None when a
    document cannot be placed in exactly one overlay."""
    owner: dict[str, int] = {}
    for index, project in enumerate(projects):
        for piece in overlay_pieces(project):
            owner[piece] = index
    parts: list[list[str]] = [[] for _ in projects]
    for document in _SEPARATOR.split(text) if text else []:
        found = _owner(document, owner, wrapper)
        if found is None:
            return None
        parts[found].append(document)
    return ["---\n".join(documents) for documents in parts]


def _owner(document: str, owner: dict[str, int], wrapper: str) -> int | None:
    annotations = _ORIGIN.findall(document)
    if len(annotations) != 1:
        return None
    files = _ORIGIN_FILE.findall(annotations[0])
    if len(files) != 1:
        return None
    path = files[0]
    if path[:1] in ("'", '"'):
        try:
            path = yaml.load(path, Loader=_SAFE_LOADER)
        except yaml.YAMLError:
            return None
        if not isinstance(path, str):
            return None
    return owner.get(os.path.realpath(os.path.join(wrapper, path)))


def interfered(texts: Sequence[str]) -> set[int]:
    """The overlays (indexes) whose output mentions a name of another overlay's resources, or a
    namespace of them in a `namespace` field: the batch's build may have rewritten that reference
    (name references are fixed by name; a RoleBinding subject's or a webhook service's namespace
    follows the object it names), so they are rendered again alone. Conservative: a mention
    that is no reference costs only a run of its own."""
    owners: dict[tuple[str, str], set[int]] = {}
    mentions: list[set[tuple[str, str]]] = []
    for index, text in enumerate(texts):
        identities, values = _identities_and_values(text)
        mentions.append(values)
        for identity in identities:
            owners.setdefault(identity, set()).add(index)
    return {
        index for index, values in enumerate(mentions) if any(owners.get(value, set()) - {index} for value in values)
    }


def _identities_and_values(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The names and namespaces of an output's resources (their top-level metadata), and the
    scalars it holds elsewhere, each as ("name", value) or ("namespace", value): a value in a
    `namespace` field can be either, any other only a name. Kustomize writes block style, one
    `key: value` or `- value` a line."""
    identities: set[tuple[str, str]] = set()
    values: set[tuple[str, str]] = set()
    in_metadata = False
    for line in text.split("\n"):
        if line[:1] not in ("", " ", "-"):
            in_metadata = line.rstrip() == "metadata:"
            continue
        if in_metadata and line.startswith(("  name: ", "  namespace: ")):
            key, value = line.split(": ", 1)
            identities.add((key.strip(), _scalar(value)))
            continue
        item = line.strip()
        while item.startswith("- "):
            item = item[2:].lstrip()
        key = ""
        if ": " in item:
            key, item = item.split(": ", 1)
        elif item.endswith(":"):
            continue
        if item:
            value = _scalar(item)
            values.add(("name", value))
            if key == "namespace":
                values.add(("namespace", value))
    return identities, values


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in ("'", '"'):
        return text[1:-1]
    return text
