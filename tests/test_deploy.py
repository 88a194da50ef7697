"""The Heroku-style deploy files agree with the code: app.json, Procfile, runtime and pins."""

import configparser
import json
import re

import pytest

from burki_sip.config import SETTINGS, check, defaults
from support import ROOT, gunicorn_setting

# Read by gunicorn.conf.py, not by the app's settings table.
GUNICORN_VARIABLES = {"PORT", "WEB_CONCURRENCY"}
HEROKU_STOP_SECONDS = 30  # Heroku sends SIGKILL this long after SIGTERM


@pytest.fixture(scope="module")
def app_json() -> dict:
    return json.loads((ROOT / "app.json").read_text())


def test_app_json_lists_every_setting_and_nothing_else(app_json):
    names = set(app_json["env"])
    assert {setting.name for setting in SETTINGS} | GUNICORN_VARIABLES == names


def test_every_app_json_variable_is_described(app_json):
    for name, entry in app_json["env"].items():
        assert entry["description"].strip(), name
        assert isinstance(entry.get("value", ""), str), name  # Heroku takes strings only


def test_app_json_values_pass_the_start_up_check(app_json):
    given = {name: entry["value"] for name, entry in app_json["env"].items()
             if "value" in entry and name not in GUNICORN_VARIABLES}
    config = {**defaults(), **given}
    check(config)
    assert config["REDIS_SSL_CERT_REQS"] == "none"  # Heroku Data for Redis: self-signed


def test_app_json_declares_the_redis_add_on(app_json):
    [addon] = app_json["addons"]
    assert addon["plan"].split(":")[0] == "heroku-redis"
    assert addon["as"] == "REDIS"  # so the add-on's URL arrives as REDIS_URL


def test_procfile_runs_gunicorn_with_its_config():
    assert (ROOT / "Procfile").read_text().strip() == "web: gunicorn wsgi:app"


def test_gunicorn_drains_within_herokus_stop_window():
    assert gunicorn_setting("graceful_timeout") < HEROKU_STOP_SECONDS


def test_python_version_meets_setup_cfg():
    version = (ROOT / ".python-version").read_text().strip()
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert setup["options"]["python_requires"] == f">={version}"


def test_runtime_requirements_are_pinned():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert "-e ." in requirements
    unpinned = [line for line in requirements if line != "-e ." and "==" not in line]
    assert unpinned == []
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    needed = {line.split(">")[0].split("<")[0].split("=")[0].strip().lower()
              for line in setup["options"]["install_requires"].split("\n") if line.strip()}
    pinned = {line.split("==")[0].lower() for line in requirements if "==" in line}
    assert needed <= pinned


def requirement_names(lines) -> set[str]:
    """The project names of requirement lines (``name[extra]>=1,<2``, ``name==1``)."""
    names = set()
    for line in (line.strip() for line in lines):
        if line and not line.startswith(("#", "-")):
            names.add(re.split(r"[\[<>=!~ ]", line, maxsplit=1)[0].lower())
    return names


def test_production_installs_no_test_package():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    production = requirement_names(setup["options"]["install_requires"].splitlines())
    test_only = requirement_names(setup["options.extras_require"]["test"].splitlines())
    assert {"fakeredis", "lupa", "pytest"} <= test_only
    assert production & test_only == set()
    runtime_pins = requirement_names((ROOT / "requirements.txt").read_text().splitlines())
    test_pins = requirement_names((ROOT / "requirements-test.txt").read_text().splitlines())
    assert test_only <= test_pins and runtime_pins & test_pins == set()
