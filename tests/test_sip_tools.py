"""scripts/ensure-sip-tools.sh, which `make test` and `make demo` run before placing SIP calls."""

import shutil
import subprocess

from sip_support import PACKAGES
from support import ROOT


def test_a_machine_that_cannot_install_them_is_told_what_to_install(tmp_path):
    # Neither kamailio, sipp nor apt-get on PATH: as on a machine without them and not Debian.
    path = tmp_path / "bin"
    path.mkdir()
    for tool in ("dirname", "id"):
        (path / tool).symlink_to(shutil.which(tool))
    finished = subprocess.run([shutil.which("sh"), str(ROOT / "scripts" / "ensure-sip-tools.sh")],
                              env={"PATH": str(path)}, capture_output=True, text=True, timeout=30)
    assert finished.returncode == 0  # make test goes on; the SIP tests skip, saying the same
    assert f"sudo apt-get install {PACKAGES}" in finished.stderr
