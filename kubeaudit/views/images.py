"""The `image` field of the container view: the container's image reference, parsed as the
runtime parses it (imageref.py), with what the image rules ask about it.

    image:
      reference: the text of `image:`          valid: false when the runtime would refuse it
      error: why not (null when valid)
      registry, repository, name, tag, digest  (null when invalid)
      pinned: pulled by digest                 floating: no tag or `latest`, and no digest
      prefixes: [registry, registry/first-part, ..., registry/whole/path] (for allow-lists)
      pullPolicy: the effective imagePullPolicy (the kubelet's default when not set)
      risk: {component, reason} when rules/data/risky-images.yaml names the image, else null

Every field of `image` maps back to the container's `image` line, except `pullPolicy`,
which maps to `imagePullPolicy` when that is set.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from kubeaudit.model import Path
from kubeaudit.refdata import load_data
from kubeaudit.semantics.imageref import ImageReference, ImageReferenceError, parse_image

IMAGE_FIELDS = (
    "reference", "valid", "error", "registry", "repository", "name", "tag", "digest", "pinned", "floating",
    "prefixes", "risk",
)  # fmt: skip
_VERSION = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(text)
    if match is None:
        return None
    return (int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0))


@cache
def _risky() -> dict[str, dict[str, Any]]:
    by_name: dict[str, dict[str, Any]] = {}
    for record in load_data("risky-images")["components"]:
        for name in record["images"]:
            by_name[name] = record
    return by_name


def known_risk(ref: ImageReference) -> dict[str, str] | None:
    """The known-risky component this image is, if any. A version bound applies to the tag;
    an image pinned only by digest, or with a tag that is no version, is judged by name alone
    only when the record has no bound (we cannot tell its version)."""
    record = _risky().get(ref.name)
    if record is None:
        return None
    below = record.get("below")
    if below is not None:
        tag = ref.effective_tag
        found = _version(tag) if tag is not None else None
        bound = _version(below)
        if found is None or bound is None or found >= bound:
            return None
    return {"component": record["component"], "reason": record["reason"]}


def default_pull_policy(ref: ImageReference | None) -> str:
    """The kubelet's default: Always for `:latest` or no tag (and no digest), else IfNotPresent."""
    if ref is not None and ref.floating:
        return "Always"
    return "IfNotPresent"


def image_doc(container: dict[str, Any], container_path: Path, prefixes: dict[Path, Path]) -> dict[str, Any] | None:
    """The `image` document of one container (None without an image), registering where each
    of its fields points in the resource."""
    text = container.get("image")
    if not isinstance(text, str):
        return None
    image_path = (*container_path, "image")
    for name in (*IMAGE_FIELDS, "pullPolicy"):
        prefixes[("image", name)] = image_path
    prefixes[("image",)] = image_path
    policy = container.get("imagePullPolicy")
    doc: dict[str, Any] = {"reference": text}
    try:
        ref: ImageReference | None = parse_image(text)
    except ImageReferenceError as exc:
        ref = None
        doc.update(valid=False, error=str(exc))
    if ref is not None:
        doc.update(
            valid=True,
            error=None,
            registry=ref.registry,
            repository=ref.repository,
            name=ref.name,
            tag=ref.tag,
            digest=ref.digest,
            pinned=ref.pinned,
            floating=ref.floating,
            prefixes=ref.prefixes(),
            risk=known_risk(ref),
        )
    if isinstance(policy, str):
        prefixes[("image", "pullPolicy")] = (*container_path, "imagePullPolicy")
        doc["pullPolicy"] = policy
    else:
        doc["pullPolicy"] = default_pull_policy(ref)
    return doc
