"""Image references parse as the container runtime parses them (distribution/reference)."""

from __future__ import annotations

import pytest

from kubeaudit.semantics.imageref import ImageReferenceError, parse_image

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("app", "docker.io", "library/app", None, None),
        ("library/app", "docker.io", "library/app", None, None),
        ("nginx:1.27", "docker.io", "library/nginx", "1.27", None),
        ("team/app:2", "docker.io", "team/app", "2", None),
        ("docker.io/app", "docker.io", "library/app", None, None),
        ("index.docker.io/team/app", "docker.io", "team/app", None, None),
        ("localhost/app", "localhost", "app", None, None),
        ("localhost:5000/app", "localhost:5000", "app", None, None),
        ("registry:5000/team/app:1.2@" + DIGEST, "registry:5000", "team/app", "1.2", DIGEST),
        ("registry.example.com/a/b/c/d:v1", "registry.example.com", "a/b/c/d", "v1", None),
        ("app@" + DIGEST, "docker.io", "library/app", None, DIGEST),
        ("Registry.Example.com/app", "Registry.Example.com", "app", None, None),  # uppercase: a host
        ("[::1]:5000/app:1.0", "[::1]:5000", "app", "1.0", None),
        (
            "gcr.io/my-project/sub__dir/app-name_x.y:tag_1.0-rc",
            "gcr.io",
            "my-project/sub__dir/app-name_x.y",
            "tag_1.0-rc",
            None,
        ),
        ("registry/app", "docker.io", "registry/app", None, None),  # no dot, no port: a Docker Hub user
    ],
)
def test_reference_forms_parse_like_the_runtime(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = parse_image(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)


def test_untagged_image_pulls_latest_and_a_digest_pins_whatever_the_tag() -> None:
    assert parse_image("app").effective_tag == "latest" and parse_image("app").floating
    assert parse_image("app:latest").floating and not parse_image("app:latest").pinned
    pinned = parse_image("app:latest@" + DIGEST)
    assert pinned.pinned and not pinned.floating
    assert not parse_image("app:1.0").floating


def test_prefixes_match_whole_path_parts() -> None:
    assert parse_image("ghcr.io/acme/tools/cli:1").prefixes() == [
        "ghcr.io", "ghcr.io/acme", "ghcr.io/acme/tools", "ghcr.io/acme/tools/cli",
    ]  # fmt: skip
    assert parse_image("nginx").prefixes() == ["docker.io", "docker.io/library", "docker.io/library/nginx"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("Team/App", "lowercase"),
        ("registry.example.com/Team/app:1", "lowercase"),
        ("app:-1", "not a valid image reference"),
        ("app:" + "x" * 129, "not a valid image reference"),
        ("app@sha256:abc", "not a valid image reference"),
        ("app@sha256:" + "a" * 40, "64 hexadecimal"),
        ("app@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("0123456789abcdef" * 4, "image ID"),
        ("registry.example.com/" + "a" * 250, "longer than 255"),
        ("app::1", "not a valid image reference"),
        ("/app", "not a valid image reference"),
        ("app/", "not a valid image reference"),
        ("a--b/c", None),  # several dashes are a valid separator
    ],
)
def test_references_the_runtime_refuses_are_errors(text: str, reason: str | None) -> None:
    if reason is None:
        assert parse_image(text).repository == "a--b/c"
        return
    with pytest.raises(ImageReferenceError, match=reason):
        parse_image(text)
