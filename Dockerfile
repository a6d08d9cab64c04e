# The kubeaudit image the in-cluster CronJob (deploy/cronjob.yaml) runs, published to
# ghcr.io/kubeaudit/kubeaudit by .github/workflows/release.yml on every release.
#
# - Base: the official python image, pinned by digest so a rebuild of the same commit gets the
#   same base. python:3.14.7-slim-bookworm at the digest a public repository pinned on 2026-08-13
#   (README: "Container image" says where it was taken from and how to refresh it).
# - Two stages: the build stage builds the wheel (hatchling comes from PyPI there) into a virtual
#   environment without pip; the final stage gets that environment only.
# - Non-root (65532, the user deploy/cronjob.yaml runs as), and friendly to a read-only root
#   filesystem: bytecode is compiled at install time, nothing is written at run time but the
#   report (stdout) and HOME=/tmp (an emptyDir in the CronJob).
# - No renderer extras: a cluster scan does not render charts or overlays.

FROM python:3.14.7-slim-bookworm@sha256:23c59390fc717bf09f9336908199a0ae75d9c4264bf296123f94ad772fea3b52 AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kubeaudit ./kubeaudit
COPY rules ./rules
RUN python -m venv --without-pip /opt/kubeaudit \
 && pip --python /opt/kubeaudit/bin/python install --no-cache-dir --compile . \
 && /opt/kubeaudit/bin/kubeaudit --version

FROM python:3.14.7-slim-bookworm@sha256:23c59390fc717bf09f9336908199a0ae75d9c4264bf296123f94ad772fea3b52
LABEL org.opencontainers.image.title="kubeaudit" \
      org.opencontainers.image.description="Kubernetes security posture scanner" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/kubeaudit /opt/kubeaudit
ENV PATH="/opt/kubeaudit/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
WORKDIR /tmp
USER 65532:65532
ENTRYPOINT ["kubeaudit"]
CMD ["--help"]
