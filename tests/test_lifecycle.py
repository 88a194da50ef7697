import pytest

from burki_sip.calls.lifecycle import (HANGUP, RANKS, TERMINAL, hangup_after, rank_of,
                                       status_from_sip_code, status_from_word, status_view)


@pytest.mark.parametrize(("code", "status"), [
    (100, "initiated"),
    (180, "ringing"), (181, "ringing"), (182, "ringing"),
    (183, "early-media"),
    (200, "in-progress"), (202, "in-progress"),
    (486, "busy"), (600, "busy"),
    (408, "no-answer"), (480, "no-answer"),
    (487, "canceled"),
    (302, "failed"), (403, "failed"), (404, "failed"), (488, "failed"), (500, "failed"),
    (503, "failed"), (603, "failed"), (699, "failed"),
    (101, None), (199, None), (99, None), (700, None),
])
def test_sip_codes_map_onto_the_vocabulary(code, status):
    assert status_from_sip_code(code) == status


@pytest.mark.parametrize(("word", "status"), [
    *[(status, status) for status in RANKS],
    ("RINGING", "ringing"),
    (" completed ", "completed"),
    ("answered", "in-progress"),
    ("in_progress", "in-progress"),
    ("early_media", "early-media"),
    ("no_answer", "no-answer"),
    ("cancelled", "canceled"),
    ("hangup", HANGUP),
    ("ended", HANGUP),
    ("bogus", None),
    ("", None),
])
def test_provider_words_map_onto_the_vocabulary(word, status):
    assert status_from_word(word) == status


@pytest.mark.parametrize(("code", "status"), [
    (200, "completed"), (202, "completed"),  # a 2xx: the hangup itself says it was answered
    (None, HANGUP), (180, HANGUP), (486, HANGUP), (487, HANGUP), (603, HANGUP),
])
def test_a_hangup_with_a_2xx_of_its_own_was_answered(code, status):
    assert hangup_after(code) == status


def test_ranks_order_the_vocabulary():
    order = ["queued", "initiated", "ringing", "early-media", "in-progress"]
    assert [rank_of(status) for status in order] == sorted(rank_of(status) for status in order)
    assert len({rank_of(status) for status in order}) == len(order)
    assert {rank_of(status) for status in TERMINAL} == {rank_of(HANGUP)} == {5}
    assert TERMINAL == {"completed", "busy", "no-answer", "canceled", "failed"}


def test_status_view_orders_the_timeline():
    state = {"status": "completed", "rank": "5", "completed_at": "t3", "ringing_at": "t1",
             "in-progress_at": "t2", "duration": "31"}
    view = status_view("c1", state, ttl=80)
    assert list(view["timeline"]) == ["ringing", "in-progress", "completed"]
    assert view["terminal"] is True
    assert view["duration"] == "31" and view["ttl"] == 80
