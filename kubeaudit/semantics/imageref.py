"""Container image references, parsed the way the container runtime parses them.

Kubelet and the CRI runtimes (containerd, CRI-O) read `image:` with the
`distribution/reference` grammar and its Docker normalisation:

- `name[:tag][@digest]`; a digest wins over a tag when both are given (the runtime
  pulls by digest), so `app:1.2@sha256:...` is pinned;
- the first path component is a registry host when it contains `.` or `:` (a port), is
  `localhost`, or has an uppercase letter; otherwise the image is on Docker Hub,
  `docker.io`, and a one-component name gets the `library/` prefix (`nginx` is
  `docker.io/library/nginx`); `index.docker.io` is the same registry as `docker.io`;
- path components are lowercase letters and digits joined by `.`, `_`, `__` or dashes;
  an uppercase letter in the repository path is an error, as is a bare 64-hex string
  (an image ID, not a name) and a name over 255 characters;
- a tag is up to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`; a digest is
  `algorithm:hex`, and the known algorithms need their exact length (sha256: 64).

Without a tag and a digest the runtime pulls `:latest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"
LEGACY_DEFAULT_REGISTRY = "index.docker.io"
OFFICIAL_PREFIX = "library/"
NAME_MAX_LENGTH = 255

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
IMAGE_ID = re.compile(r"[a-f0-9]{64}")
DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


class ImageReferenceError(ValueError):
    """A reference the runtime would refuse (kubelet reports InvalidImageName)."""


@dataclass(frozen=True, slots=True)
class ImageReference:
    registry: str  # host[:port], normalised: Docker Hub is docker.io
    repository: str  # the path on the registry: library/nginx, team/app
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def pinned(self) -> bool:
        """Pulled by digest: the same bytes every time, whatever the tag says."""
        return self.digest is not None

    @property
    def effective_tag(self) -> str | None:
        """The tag the runtime pulls: the given one, `latest` without tag or digest."""
        if self.tag is None and self.digest is None:
            return "latest"
        return self.tag

    @property
    def floating(self) -> bool:
        """No tag or `latest`, and no digest: whatever was pushed last."""
        return self.digest is None and self.effective_tag == "latest"

    def prefixes(self) -> list[str]:
        """The registry, then the registry with each leading part of the path:
        docker.io, docker.io/library, docker.io/library/nginx."""
        out = [self.registry]
        path = self.registry
        for part in self.repository.split("/"):
            path = f"{path}/{part}"
            out.append(path)
        return out

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def _split_registry(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if not slash or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        registry, remainder = DEFAULT_REGISTRY, name
    else:
        registry, remainder = first, rest
    if registry == LEGACY_DEFAULT_REGISTRY:
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return registry, remainder


def parse_image(text: str) -> ImageReference:
    """Parse an image reference; raises ImageReferenceError with the runtime's reason."""
    if not text:
        raise ImageReferenceError("the image reference is empty")
    if IMAGE_ID.fullmatch(text):
        raise ImageReferenceError("a 64-character hexadecimal string is an image ID, not a repository name")
    registry, remainder = _split_registry(text)
    path = remainder.split("@", 1)[0].split(":", 1)[0]
    if path.lower() != path:
        raise ImageReferenceError(f"repository name {path!r} must be lowercase")
    match = REFERENCE.fullmatch(f"{registry}/{remainder}")
    if match is None:
        raise ImageReferenceError("not a valid image reference ([registry/]path[:tag][@algorithm:digest])")
    name, tag, digest = match.groups()
    if len(name) > NAME_MAX_LENGTH:
        raise ImageReferenceError(f"repository name is longer than {NAME_MAX_LENGTH} characters")
    if digest is not None:
        algorithm, _, hex_part = digest.partition(":")
        expected = DIGEST_LENGTHS.get(algorithm)
        if expected is None:
            raise ImageReferenceError(f"unsupported digest algorithm {algorithm!r}")
        if len(hex_part) != expected:
            raise ImageReferenceError(
                f"a {algorithm} digest has {expected} hexadecimal characters, not {len(hex_part)}"
            )
    return ImageReference(registry, name[len(registry) + 1 :], tag, digest)
