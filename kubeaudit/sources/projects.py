"""What the user's paths hold: plain manifest files, Helm charts and Kustomize overlays.

A folder holding `Chart.yaml` is a chart and a folder holding a kustomization file is an
overlay: what gets deployed is what they render to, so they are rendered (sources/render.py),
never read as plain manifests. A chart's files (its `templates/` above all) are not manifests
at all; an overlay's bases, patches and components are pieces of what it renders, so a walk
does not scan them on their own. A path the user names is always scanned as what it is: a
file named explicitly is read as a manifest, a base named explicitly is rendered itself.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.model import ScanError
from kubeaudit.sources.manifests import MANIFEST_SUFFIXES, STDIN, ManifestFile, declares_namespace, display_path
from kubeaudit.yamlfile import load_document, read_regular_file

HELM = "helm"
KUSTOMIZE = "kustomize"
CHART_FILE = "Chart.yaml"
# The names kustomize itself accepts, in the order it looks for them.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Kustomization fields that name files or folders the overlay is built from (local paths; a
# URL is a remote base, which the renderer fetches or fails on). Patches may be inline text.
_PATH_LISTS = ("resources", "bases", "components", "crds", "patchesStrategicMerge", "configurations")
_PATH_ENTRIES = ("patches", "patchesJson6902", "replacements")
_KUSTOMIZATION_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Project:
    """A chart or an overlay: a folder a renderer turns into manifests."""

    tool: str  # HELM or KUSTOMIZE
    path: str  # the folder, as given or found
    manifest: str  # the file that makes it one: Chart.yaml or the kustomization file

    @property
    def display(self) -> str:
        return display_path(self.path)

    @property
    def manifest_display(self) -> str:
        return display_path(self.manifest)

    @property
    def what(self) -> str:
        return "Helm chart" if self.tool == HELM else "Kustomize overlay"


class PlanLookups:
    """What planning a scan's inputs looks up many times, looked up once: real paths of many files
    in few folders (a file's is its folder's, resolved once, joined with its name unless the name
    is a symlink) and kustomization files (an overlay's chain is read for its pieces, for whether
    it is a component and for whether it may render a Namespace). On c10k os.path.realpath made
    54,000 lstat calls and the 140 overlays' chains 518 reads, 0.5 s of a plan made before any
    --jobs worker starts. A plan's own: files that change later are read again by the renderers."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}
        self._kustomizations: dict[str, dict[str, Any] | None] = {}

    def realpath(self, path: str) -> str:
        """os.path.realpath(path)."""
        folder, name = os.path.split(path)
        if name in ("", ".", ".."):
            return os.path.realpath(path)
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return os.path.realpath(path)
        except OSError:
            return os.path.realpath(path)
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        return os.path.join(real, name)

    def kustomization(self, path: str) -> dict[str, Any] | None:
        """read_kustomization(path), read once (callers only read the data)."""
        if path not in self._kustomizations:
            self._kustomizations[path] = read_kustomization(path)
        return self._kustomizations[path]


@dataclass(slots=True)
class InputPlan:
    """What a scan reads: plain files, and charts and overlays to render, each once."""

    files: list[ManifestFile] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    lookups: PlanLookups = field(default_factory=PlanLookups)  # for more questions about the projects


def find_project(folder: str) -> Project | None:
    """The chart or overlay a folder is, if it is one (a chart wins: a chart folder's
    kustomization file would only ever be used by a post-renderer, which we never run)."""
    chart = os.path.join(folder, CHART_FILE)
    if os.path.isfile(chart):
        return Project(HELM, folder, chart)
    for name in KUSTOMIZATION_FILES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return Project(KUSTOMIZE, folder, candidate)
    return None


def chart_of_template(path: str) -> str | None:
    """The chart to scan for a file named on the command line that is one of a chart's
    templates (templates/ files are Go templates, never plain YAML): its outermost chart."""
    current = os.path.dirname(os.path.abspath(path))
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return None
        if os.path.basename(current) == "templates" and os.path.isfile(os.path.join(parent, CHART_FILE)):
            return enclosing_project(parent)
        current = parent


def enclosing_project(folder: str) -> str:
    """The folder to scan for a file in `folder` (--folder-context): the outermost chart it is
    part of (a template, a values file, a subchart), else the nearest overlay it is in (a patch
    in a subfolder of one), else the folder itself. Looks no higher than the working directory
    when the folder is inside it."""
    start = os.path.abspath(folder)
    stop = os.path.abspath(os.getcwd())
    inside = start == stop or start.startswith(stop.rstrip(os.sep) + os.sep)
    chart: str | None = None
    overlay: str | None = None
    current = start
    while True:
        project = find_project(current)
        if project is not None and project.tool == HELM:
            chart = current
        elif project is not None and overlay is None:
            overlay = current
        parent = os.path.dirname(current)
        if (inside and current == stop) or parent == current:
            break
        current = parent
    found = chart or overlay
    if found is None or found == start:
        return folder
    return found if os.path.isabs(folder) else os.path.relpath(found)


def read_kustomization(path: str) -> dict[str, Any] | None:
    """The kustomization file as data, or None when it cannot be read (the renderer then says why)."""
    try:
        text = read_regular_file(path, _KUSTOMIZATION_MAX_BYTES)  # a FIFO or a huge file: not read
        data = load_document(text, "kustomization")[0]  # plain tags only, no code; limits as for manifests
    except (OSError, ValueError):  # YamlFileError too: the renderer then says why
        return None
    return data if isinstance(data, dict) else None


def local_references(kustomization: dict[str, Any]) -> list[str]:
    """The local paths an overlay is built from (relative to its folder), in file order."""
    return [ref for ref in _references(kustomization) if not _is_remote(ref)]


def _references(kustomization: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in _PATH_LISTS:
        entries = kustomization.get(key)
        if isinstance(entries, list):
            found.extend(e for e in entries if isinstance(e, str) and "\n" not in e)
    for key in _PATH_ENTRIES:
        entries = kustomization.get(key)
        if isinstance(entries, list):
            found.extend(e["path"] for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str))
    return found


def kustomization_chain(
    project: Project, lookups: PlanLookups | None = None
) -> Iterator[tuple[Project, dict[str, Any]]]:
    """The overlay and every local base and component it is built from (each once, the overlay
    first), with its kustomization as data; one that cannot be read is left out (the renderer
    says what is wrong with it)."""
    lookups = lookups or PlanLookups()
    pending, seen = [project], {lookups.realpath(project.path)}
    while pending:
        current = pending.pop(0)
        data = lookups.kustomization(current.manifest)
        if data is None:
            continue
        yield current, data
        for ref in local_references(data):
            target = os.path.normpath(os.path.join(current.path, ref))
            base = find_project(target) if os.path.isdir(target) else None
            real = lookups.realpath(target)
            if base is not None and base.tool == KUSTOMIZE and real not in seen:
                seen.add(real)
                pending.append(base)


def remote_references(project: Project) -> list[str]:
    """The remote bases and resources (URLs, git repositories) of an overlay and its local bases."""
    return [ref for _, data in kustomization_chain(project) for ref in _references(data) if _is_remote(ref)]


def _is_remote(ref: str) -> bool:
    return "://" in ref or ref.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/"))


def _is_component(kustomization: dict[str, Any]) -> bool:
    return kustomization.get("kind") == "Component"


@dataclass(slots=True)
class _Pieces:
    """What overlays are built from: files and the folders of their bases and components."""

    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)


def _collect_pieces(project: Project, pieces: _Pieces, lookups: PlanLookups) -> None:
    """Every file and base folder the overlay is built from, through its bases."""
    realpath = lookups.realpath
    pieces.files.add(realpath(project.manifest))
    for current, data in kustomization_chain(project, lookups):
        if current is not project:
            pieces.folders.add(realpath(current.path))
            pieces.files.add(realpath(current.manifest))
        for ref in local_references(data):
            target = os.path.join(current.path, ref)
            if not os.path.isdir(target):
                pieces.files.add(realpath(target))


def overlay_pieces(project: Project, lookups: PlanLookups | None = None) -> set[str]:
    """Every file and base folder an overlay is built from (real paths), through its bases."""
    pieces = _Pieces()
    _collect_pieces(project, pieces, lookups or PlanLookups())
    return pieces.files | pieces.folders


# Chart files that may render a Namespace: templates (and their helpers) and subcharts' templates.
_CHART_TEMPLATE_SUFFIXES = (*MANIFEST_SUFFIXES, ".tpl")
_NAMESPACE_PROBE_MAX_BYTES = 8 * 1024 * 1024


def may_render_namespace(project: Project, lookups: PlanLookups | None = None) -> bool:
    """Whether a file the project is built from declares a Namespace (an overlay's files and
    bases, a chart's templates and subcharts): a cheap look at the files, never a render. Such
    projects are rendered first, so that the versions their Namespaces pin apply to the
    workloads every other project renders."""
    if project.tool == KUSTOMIZE:
        files = sorted(p for p in overlay_pieces(project, lookups) if os.path.isfile(p))
    else:
        files = sorted(
            os.path.join(folder, name)
            for folder, _, names in os.walk(project.path)
            for name in names
            if name.lower().endswith(_CHART_TEMPLATE_SUFFIXES)
        )
    for path in files:
        try:
            data = read_regular_file(path, _NAMESPACE_PROBE_MAX_BYTES)
        except (OSError, ValueError):
            continue  # the renderer says what is wrong with it
        if declares_namespace(data):
            return True
    return False


def plan_inputs(
    paths: Iterable[str],
    errors: list[ScanError],
    excluded: Callable[[str], bool] | None = None,
    stdin_filename: str | None = None,
) -> InputPlan:
    """Expand the user's paths into files to read and charts and overlays to render, in a
    stable order. Folders are walked recursively (hidden folders skipped); a path that does not
    exist, or a folder that cannot be read, is an error, not a silent skip. Standard input is
    shown as `stdin_filename` when given (--stdin-filename), else as <stdin>."""
    files: list[tuple[str, bool]] = []  # (path, named by the user)
    projects: list[tuple[Project, bool]] = []
    for raw in paths:
        if raw == STDIN:
            files.append((STDIN, True))
        elif os.path.isdir(raw):
            for item in walk_inputs(raw, errors):
                if isinstance(item, Project):
                    projects.append((item, item.path == raw))
                else:
                    files.append((item, False))
        elif os.path.lexists(raw):
            files.append((raw, True))  # read_text says what is wrong with it (a FIFO, a broken symlink...)
        else:
            errors.append(ScanError(display_path(raw), "no such file or directory"))
    plan = InputPlan()
    realpath = plan.lookups.realpath
    pieces = _Pieces()
    for project, _ in projects:
        if project.tool == KUSTOMIZE:
            _collect_pieces(project, pieces, plan.lookups)
    seen: set[str] = set()

    def first_time(path: str, shown: str) -> bool:
        key = realpath(path) if path != STDIN else STDIN
        if key in seen or (excluded is not None and excluded(shown)):
            return False
        seen.add(key)
        return True

    for project, named in projects:
        if not named and (realpath(project.path) in pieces.folders or _is_component_folder(project, plan.lookups)):
            continue  # a base or component of an overlay in this scan: judged as the overlay renders it
        if first_time(project.path, project.display):
            plan.projects.append(project)
    for path, named in files:
        if not named and realpath(path) in pieces.files:
            continue  # a patch or resource of an overlay: judged as the overlay renders it
        shown = display_path(stdin_filename) if path == STDIN and stdin_filename else display_path(path)
        if first_time(path, shown):
            plan.files.append(ManifestFile(path, shown))
    return plan


def _is_component_folder(project: Project, lookups: PlanLookups) -> bool:
    if project.tool != KUSTOMIZE:
        return False
    data = lookups.kustomization(project.manifest)
    return data is not None and _is_component(data)


def walk_inputs(top: str, errors: list[ScanError]) -> Iterator[str | Project]:
    """The manifest files, charts and overlays under a folder: sorted, files before sub-folders,
    hidden folders skipped, nothing inside a chart (its files are the chart's own).

    Symlinked folders are followed, each real folder once (by device and inode), so a symlink
    loop ends. A folder that cannot be listed is an error (the scan is incomplete), never a
    silent skip.
    """
    visited: set[tuple[int, int]] = set()
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            errors.append(ScanError(display_path(folder), f"cannot read directory: {exc.strerror or exc}"))
            continue
        if (info.st_dev, info.st_ino) in visited:
            continue  # a symlink loop, or a folder reached twice: its files are already listed
        visited.add((info.st_dev, info.st_ino))
        project = find_project(folder)
        if project is not None:
            yield project
            if project.tool == HELM:
                continue  # templates, values and subcharts are the chart's, not manifests
        subfolders = []
        for entry in entries:
            if entry.is_dir():  # follows symlinks
                if not entry.name.startswith("."):
                    subfolders.append(entry.path)
            elif entry.name.lower().endswith(MANIFEST_SUFFIXES):
                yield entry.path
        pending.extend(reversed(subfolders))
