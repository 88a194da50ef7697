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


def fake_commands(tmp_path, **scripts: str):
    """A PATH of shell scripts named after ``scripts``' keys (and nothing else)."""
    for name, body in scripts.items():
        (tmp_path / name).write_text(f"#!/bin/sh\n{body}\n")
        (tmp_path / name).chmod(0o755)
    return str(tmp_path)


def ensure_redis_server(path: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", str(ROOT / "scripts" / "ensure-redis-server.sh")],
                          env={"PATH": path}, capture_output=True, text=True, timeout=30)


def test_redis_server_that_cannot_be_installed_is_one_line_naming_the_package(tmp_path):
    finished = ensure_redis_server(fake_commands(tmp_path, id="echo 1000"))  # not root
    assert finished.returncode == 1
    [line] = finished.stderr.splitlines()
    assert line.startswith("burki-sip needs the packages: redis-server")


def test_a_failing_apt_get_is_one_line_naming_the_package(tmp_path):
    finished = ensure_redis_server(fake_commands(tmp_path, id="echo 0", **{"apt-get": "exit 100"}))
    assert finished.returncode == 1
    assert finished.stderr.splitlines()[-1].startswith(
        "burki-sip needs the packages: redis-server openssl, and apt-get could not install them")
