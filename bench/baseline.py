"""The floor a scan is compared with: what any tool must do to see the manifests a scan sees.

A scan reads plain manifest files, and renders Helm charts and Kustomize overlays (a chart's
templates are not YAML until rendered; an overlay's bases are pieces of what it renders). So the
baseline has two parts, and the benchmarks report both:

- **parse**: every manifest the scan reads, read and run through
  `yaml.load_all(text, Loader=yaml.CSafeLoader)` to the end: the plain files of kubeaudit's own
  input plan (the same walk, with the charts' and overlays' own files left out, as the scan
  leaves them out), and the rendered output of each chart and overlay (rendered beforehand,
  outside the clock, by `render_projects`);
- **render**: each chart and overlay rendered once, with the renderer the scan uses: the Helm SDK
  (the `helm` extra), called in this process, and `kubectl kustomize` (the `kustomize` extra),
  with the chart's own values. No line tracking, no second render, no child process per chart:
  the least any tool that shows what a chart deploys has to do. Overlays are built as the scan
  builds them: several in one `kubectl kustomize` run, cut apart afterwards
  (kubeaudit/sources/kustomize_batch.py; an overlay whose output names another's resources is
  built again alone, as in the scan). One run per overlay would cost about four times as much
  and overstate the floor.

The whole-CLI target compares the scan with parse + render.
"""

from __future__ import annotations

import os
from typing import Any

import yaml


def plan(root: str) -> tuple[list[str], list[Any]]:
    """The plain manifest files a scan of `root` reads, and the charts and overlays it renders."""
    from kubeaudit.sources.projects import plan_inputs

    errors: list[Any] = []
    found = plan_inputs([root], errors)
    return [file.path for file in found.files], list(found.projects)


def render_helm(project: Any) -> str:
    """One chart's manifests, as `helm template` prints them."""
    import helm_python as helm

    with helm.Chart.load(project.path) as chart:
        rendered = chart.render({}, name="release-name", namespace="default", is_install=True)
    return "".join(f"---\n{text}\n" for name, text in sorted(rendered.items()) if not name.endswith("NOTES.txt"))


def render_overlays(overlays: list[Any]) -> dict[int, str]:
    """Each overlay's output (by id of the overlay), built in the groups the scan builds them in."""
    from kubeaudit.sources.kustomize import KustomizeRenderer
    from kubeaudit.sources.render import Rendering, RenderOptions

    renderer = KustomizeRenderer()
    command = renderer.find()
    if command is None:
        raise SystemExit("bench: kubectl or kustomize not found: pip install 'kubeaudit[kustomize]'")
    texts: dict[int, str] = {}
    for group in renderer.groups(overlays):
        for project, outcome in zip(group, renderer.render_group(group, command, RenderOptions()), strict=True):
            texts[id(project)] = outcome.text if isinstance(outcome, Rendering) else ""
    return texts


def render_projects(projects: list[Any], out_dir: str) -> list[str]:
    """Render each project once into `out_dir` (one file each); the files, in project order."""
    from kubeaudit.sources.projects import HELM

    os.makedirs(out_dir, exist_ok=True)
    overlays = render_overlays([project for project in projects if project.tool != HELM])
    written = []
    for index, project in enumerate(projects):
        path = os.path.join(out_dir, f"rendered-{index:05d}.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(render_helm(project) if project.tool == HELM else overlays[id(project)])
        written.append(path)
    return written


def load_all(paths: list[str]) -> tuple[int, int]:
    """Read and fully load every file with the C loader. Returns (files, documents).

    A file that is not valid UTF-8 or YAML counts as read, with the documents loaded before the
    error (kubeaudit reports such files and goes on)."""
    loader = yaml.CSafeLoader
    files = documents = 0
    for path in paths:
        files += 1
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            for _ in yaml.load_all(data.decode("utf-8"), Loader=loader):
                documents += 1
        except (UnicodeDecodeError, yaml.YAMLError):
            continue
    return files, documents
