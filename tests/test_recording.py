"""record.lua and the Python that builds its arguments agree on the offsets."""

import re

from burki_sip.calls.index import NO_BOOKKEEPING
from burki_sip.calls.recording import ARGV_BOOKKEEPING, ARGV_ENTRY, RECORD_LUA


def test_the_console_offset_is_the_one_record_lua_reads():
    found = re.search(r"^local C = (\d+)", RECORD_LUA, re.MULTILINE)
    assert found, "record.lua no longer declares `local C = ...`"
    assert int(found.group(1)) == ARGV_BOOKKEEPING


def test_the_entry_pairs_follow_the_bookkeeping():
    assert ARGV_ENTRY == ARGV_BOOKKEEPING + len(NO_BOOKKEEPING)
    assert "for i = C + 4, #ARGV" in RECORD_LUA
