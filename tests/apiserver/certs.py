"""Throw-away TLS material for the fake API server, made with the ``openssl`` CLI.

No Python crypto dependency: everything is produced by ``/usr/bin/openssl`` (or
whatever ``openssl`` is on ``PATH``) in a directory the caller owns.  Keys are
ECDSA P-256 because they are generated instantly; certificates are valid for two
days and carry the extensions a strict verifier (Python >= 3.13's
``VERIFY_X509_STRICT``) wants: basicConstraints, keyUsage, SKI/AKI and, for the
server, subjectAltName with both IP and DNS entries plus extendedKeyUsage.

Command line (handy when starting the server by hand)::

    python -m tests.apiserver.certs OUTDIR   # writes ca.crt ca.key server.crt server.key
"""

from __future__ import annotations

import argparse
import ipaddress
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "::1", "localhost")


class CertError(RuntimeError):
    """openssl is missing or one of its invocations failed."""


@dataclass(frozen=True)
class CertBundle:
    """Paths of a CA and a server certificate/key signed by it."""

    ca_file: Path
    ca_key: Path
    cert_file: Path
    key_file: Path


def _openssl() -> str:
    exe = shutil.which("openssl") or ("/usr/bin/openssl" if Path("/usr/bin/openssl").exists() else None)
    if exe is None:
        raise CertError("the openssl command-line tool is required to generate test certificates")
    return exe


def _run(args: list[str], cwd: Path) -> None:
    proc = subprocess.run([_openssl(), *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CertError(f"openssl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")


def _san(hosts: tuple[str, ...] | list[str]) -> str:
    entries = []
    for host in hosts:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            entries.append(f"DNS:{host}")
        else:
            entries.append(f"IP:{host}")
    return ",".join(entries)


def generate_ca(directory: Path | str, name: str = "ca", common_name: str = "kubeaudit-test-ca") -> tuple[Path, Path]:
    """Create a self-signed CA ``<name>.crt`` / ``<name>.key`` in *directory*."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    cnf = d / f"{name}.cnf"
    cnf.write_text(
        "[req]\n"
        "distinguished_name = dn\n"
        "prompt = no\n"
        "[dn]\n"
        f"CN = {common_name}\n"
        "[v3_ca]\n"
        "basicConstraints = critical,CA:TRUE\n"
        "keyUsage = critical,keyCertSign,cRLSign,digitalSignature\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid:always\n"
    )
    crt, key = d / f"{name}.crt", d / f"{name}.key"
    _run(
        [
            "req", "-x509", "-config", cnf.name, "-extensions", "v3_ca",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key.name, "-out", crt.name, "-days", "2",
        ],
        d,
    )
    return crt, key


def generate_server_cert(
    directory: Path | str,
    ca_file: Path,
    ca_key: Path,
    hosts: tuple[str, ...] | list[str] = DEFAULT_HOSTS,
    name: str = "server",
) -> tuple[Path, Path]:
    """Create ``<name>.crt`` / ``<name>.key`` for *hosts* (SAN IP/DNS), signed by the CA."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    crt, key, csr, ext = d / f"{name}.crt", d / f"{name}.key", d / f"{name}.csr", d / f"{name}.ext"
    ext.write_text(
        "basicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid,issuer\n"
        f"subjectAltName = {_san(hosts)}\n"
    )
    _run(
        [
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key.name, "-out", csr.name, "-subj", "/O=kubeaudit-test/CN=kube-apiserver",
        ],
        d,
    )
    _run(
        [
            "x509", "-req", "-in", csr.name, "-CA", str(ca_file), "-CAkey", str(ca_key),
            "-CAcreateserial", "-out", crt.name, "-days", "2", "-extfile", ext.name,
        ],
        d,
    )
    return crt, key


def generate_bundle(directory: Path | str, hosts: tuple[str, ...] | list[str] = DEFAULT_HOSTS) -> CertBundle:
    """CA plus a server certificate for *hosts* (default 127.0.0.1, ::1, localhost)."""
    ca_crt, ca_key = generate_ca(directory)
    crt, key = generate_server_cert(directory, ca_crt, ca_key, hosts)
    return CertBundle(ca_file=ca_crt, ca_key=ca_key, cert_file=crt, key_file=key)


def generate_wrong_ca(directory: Path | str) -> Path:
    """A second, unrelated CA (same subject name!) - for TLS-verification-failure tests."""
    crt, _ = generate_ca(directory, name="wrong-ca", common_name="kubeaudit-test-ca")
    return crt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a throw-away CA and server certificate.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--host", action="append", help="SAN entry (IP or DNS name); repeatable")
    args = parser.parse_args(argv)
    bundle = generate_bundle(args.outdir, tuple(args.host) if args.host else DEFAULT_HOSTS)
    for label, path in (
        ("ca", bundle.ca_file), ("ca-key", bundle.ca_key), ("cert", bundle.cert_file), ("key", bundle.key_file)
    ):
        print(f"{label}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
