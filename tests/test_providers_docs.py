"""docs/providers.md documents every word of every provider's mapping tables, and every setting."""

import re

import pytest

from burki_sip.signatures import TOLERANCE_SECONDS
from burki_sip.web.providers import jambonz, livekit, plivo, signalwire, telnyx, twilio, vonage
from burki_sip.web.providers.guard import ALL_SCHEMES
from support import ROOT

DOC = (ROOT / "docs" / "providers.md").read_text()
TABLES = [twilio.STATUSES, signalwire.STATES, signalwire.END_REASONS, telnyx.EVENTS,
          telnyx.HANGUP_CAUSES, jambonz.STATUSES, vonage.STATUSES, plivo.STATUSES,
          livekit.CALL_STATUSES, livekit.DISCONNECT_REASONS]


@pytest.mark.parametrize("table", TABLES, ids=lambda table: next(iter(table)))
def test_every_mapped_word_is_documented(table):
    missing = [word for word in table if f"`{word}`" not in DOC.replace("`noAnswer`", "`noanswer`")]
    assert missing == []


def test_every_scheme_and_its_settings_are_documented():
    for scheme in ALL_SCHEMES:
        assert all(f"`{name}`" in DOC for name in scheme.settings), scheme.name
        assert f"`{scheme.header}" in DOC, scheme.name


@pytest.mark.parametrize("name", ["docs/providers.md", "docs/security.md", "docs/configuration.md"])
def test_the_timestamp_tolerance_the_docs_state_is_the_codes(name):
    stated = re.findall(r"(?:within|more than|Within those) (\d+) s\b", (ROOT / name).read_text())
    assert stated and set(stated) == {str(TOLERANCE_SECONDS)}
