"""Throw-away TLS material for a test redis-server: a private CA and a server certificate it signed."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificates:
    """Paths of the PEM files ``make_certificates`` wrote."""

    ca: Path
    cert: Path
    key: Path


def openssl_binary() -> str:
    """Path of the openssl command, or a failure that names the package to install."""
    path = shutil.which("openssl")
    if path is None:
        raise RuntimeError("openssl not found: install the 'openssl' package")
    return path


def _openssl(*args: str) -> None:
    subprocess.run([openssl_binary(), *args], check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path, host: str = "127.0.0.1") -> Certificates:
    """A CA no system trusts (like a managed Redis's self-signed one) and a cert for ``host``."""
    ca, ca_key = directory / "ca.crt", directory / "ca.key"
    cert, key, request = directory / "server.crt", directory / "server.key", directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(f"subjectAltName=IP:{host}\n")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=burki-sip test CA", "-keyout", str(ca_key), "-out", str(ca))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}",
             "-keyout", str(key), "-out", str(request))
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert))
    return Certificates(ca, cert, key)
