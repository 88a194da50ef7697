"""The set-up scripts ``make`` runs: a Python older than 3.11 is refused before pip runs."""

import subprocess

from support import ROOT


def fake_python(tmp_path, version: str):
    """A ``python`` that reports ``version`` and fails the version check, as an old one would."""
    path = tmp_path / "python-old"
    path.write_text(f'#!/bin/sh\n[ "$1" = "-V" ] && echo "Python {version}" && exit 0\nexit 1\n')
    path.chmod(0o755)
    return path


def ensure_venv(venv, python) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(ROOT / "scripts" / "ensure-venv.sh"), str(venv)],
                          env={"PATH": "/usr/bin:/bin", "PYTHON": str(python)},
                          capture_output=True, text=True, timeout=30)


def test_an_old_python_is_refused_with_what_to_do(tmp_path):
    venv = tmp_path / "venv"
    finished = ensure_venv(venv, fake_python(tmp_path, "3.10.12"))
    assert finished.returncode == 1
    [line] = finished.stderr.splitlines()
    assert "needs Python 3.11 or newer" in line and "Python 3.10.12" in line
    assert "make PYTHON=python3.11" in line
    assert not venv.exists()


def test_a_missing_python_is_named(tmp_path):
    finished = ensure_venv(tmp_path / "v", "python9.9")
    assert finished.returncode == 1 and "'python9.9' is not installed" in finished.stderr
