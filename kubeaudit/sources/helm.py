"""Helm charts rendered with the Helm SDK (the `helm` extra: helm-python-sdk), each resource mapped
back to its template file and line, or to the values line that set the field
(kubeaudit.sources.helm_origin).

The SDK runs in a child process (kubeaudit.sources.helm_worker, one for every chart of a scan)
under the renderer timeout, per chart. It
renders offline, as `helm template` does (hooks and tests included, the chart's notes left out),
with the options --helm-values, --helm-set, --helm-release-name and --helm-namespace. Nothing from
the chart runs on this machine: Helm templates are data to the template engine, and there are no
post-renderers, plugins or downloads; a dependency missing from charts/ makes the chart a gap.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from typing import Any, ClassVar

from kubeaudit.model import CoverageGap, Locator, Origin, Position, RenderedFrom
from kubeaudit.sources.helm_lines import DEFAULT_TAG, document_starts, line_map, prints
from kubeaudit.sources.helm_origin import HelmLocator, TemplateOutput, ValuesOrigin, chart_values_files
from kubeaudit.sources.manifests import display_path
from kubeaudit.sources.projects import HELM, Project
from kubeaudit.sources.render import Renderer, RenderError, RenderGap, Rendering, RenderOptions, ToolServer, register

DEFAULT_RELEASE_NAME = "release-name"  # what `helm template` calls the release when not told
DEFAULT_NAMESPACE = "default"
# Kinds that live in no namespace, which a release namespace therefore does not apply to. Helm asks
# the API server; offline we know the built-in ones (and the cluster-wide policies rules read).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService", "CertificateSigningRequest", "ClusterImagePolicy", "ClusterIssuer", "ClusterPolicy",
        "ClusterRole", "ClusterRoleBinding", "CSIDriver", "CSINode", "CustomResourceDefinition", "IngressClass",
        "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
        "PriorityClass", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
    }
)  # fmt: skip


class HelmRendering(Rendering):
    def __init__(
        self, project: Project, answer: dict[str, Any], values_files: list[str], namespace: str | None
    ) -> None:
        self.release_namespace = namespace
        rendered: dict[str, str] = answer["rendered"]
        marked: dict[str, str] = answer.get("marked") or {}
        tag: str = answer.get("tag") or DEFAULT_TAG
        pieces: list[str] = []
        self.templates: list[TemplateOutput] = []
        line = 1
        for name, text in rendered.items():
            if not text.strip():
                continue
            header = f"---\n# Source: {name}\n"
            pieces.append(header + text + ("" if text.endswith("\n") else "\n"))
            file = _template_file(project.path, name)
            if os.path.isfile(file):
                lines = line_map(text, marked[name], tag) if name in marked else None
                self.templates.append(TemplateOutput(file, display_path(file), line + 2, lines))
            else:  # a packed subchart (charts/x.tgz): no template file to point at, so the chart
                self.templates.append(TemplateOutput("", project.manifest_display, line + 2, None))
            line += pieces[-1].count("\n")
        super().__init__(project, "".join(pieces))
        self.values = ValuesOrigin(answer["values"], answer["set"], chart_values_files(project.path, values_files))

    def namespace(self, kind: str) -> str | None:
        """Helm installs a resource that names no namespace into the release's (given with
        --helm-namespace; without it, the resource stays as a plain manifest would)."""
        return None if kind in CLUSTER_SCOPED_KINDS else self.release_namespace

    def origin(self, data: dict[str, Any], rendered: RenderedFrom, locator: Locator) -> Origin:
        template = self._template_at(rendered.line)
        document = _document_holding(self.text, template.first_line, rendered.line)
        start = _resource_start(template, rendered.line, document)
        helm_locator = HelmLocator(locator, template, start, data, self.values)
        return Origin(template.display, document, (), helm_locator, rendered=rendered)

    def _template_at(self, line: int) -> TemplateOutput:
        """The template whose output holds the line (every document follows a template's header)."""
        found = self.templates[0]
        for template in self.templates:
            if template.first_line <= line:
                found = template
        return found


def _template_file(chart: str, name: str) -> str:
    """The file a rendered template name (`<chart name>/templates/x.yaml`) stands for."""
    relative = name.split("/", 1)[1] if "/" in name else name
    return os.path.join(chart, *relative.split("/"))


def _document_holding(text: str, first_line: int, line: int) -> int:
    """Which document (0-based) of the template's output holds `line`: where its resource starts,
    the document's own first line, or a line inside it for an item of a `kind: List`."""
    lines = text.split("\n")[first_line - 1 : line]
    starts = document_starts(lines, lambda item: not item.lstrip().startswith("#") and bool(item.strip()))
    return max(len(starts) - 1, 0)


def _resource_start(template: TemplateOutput, line: int, document: int) -> Position:
    """The resource's first line in the template: the template line that printed its first
    line, else the first line that prints something in the template's document of that number."""
    if template.lines is not None:
        mapped = template.lines.template_line(line - template.first_line + 1)
        if mapped is not None:
            return Position(mapped, 1)
    starts = document_starts(template.source_lines(), lambda item: prints(item) and not item.lstrip().startswith("#"))
    return Position(starts[document] if document < len(starts) else 1, 1)


class HelmRenderer(Renderer):
    tool: ClassVar[str] = HELM
    extra: ClassVar[str] = "helm"
    commands: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._servers: dict[tuple[str, ...], ToolServer] = {}
        self._lock = threading.Lock()

    def find(self) -> list[str] | None:
        """The render worker, when the SDK is installed (found without loading its library)."""
        if importlib.util.find_spec("helm_python") is None:
            return None
        return [sys.executable, "-m", "kubeaudit.sources.helm_worker"]

    def missing(self, project: Project) -> CoverageGap:
        return CoverageGap(
            project.display, f"{project.what} not rendered: no renderer installed; pip install 'kubeaudit[helm]'"
        )

    def render(self, project: Project, command: list[str], options: RenderOptions) -> Rendering:
        request = {
            "chart": project.path,
            "values": list(options.helm_values),
            "set": list(options.helm_set),
            "release": options.release_name or DEFAULT_RELEASE_NAME,
            "namespace": options.namespace or DEFAULT_NAMESPACE,
        }
        output = self._server(command).ask(json.dumps(request))
        try:
            answer = json.loads(output)
        except ValueError as exc:
            raise RenderError("the Helm SDK gave no answer") from exc
        if "gap" in answer:
            raise RenderGap(answer["gap"])
        if "error" in answer:
            raise RenderError(answer["error"])
        return HelmRendering(project, answer, list(options.helm_values), options.namespace)

    def _server(self, command: list[str]) -> ToolServer:
        with self._lock:
            return self._servers.setdefault(tuple(command), ToolServer(command))

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()


register(HelmRenderer())
