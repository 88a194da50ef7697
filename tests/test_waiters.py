"""The registry of waiting claims (``waiters.Waiters``): what it subscribes, whom it wakes. No I/O."""

from contextlib import nullcontext

from burki_sip.calls.waiters import Waiters, Watch


class Signal:
    """Stands for the driver's event: counts how often it was set."""

    def __init__(self) -> None:
        self.count = 0

    def set(self) -> None:
        self.count += 1


def watch(channel: str, source: str = "") -> Watch:
    return Watch(channel, source, Signal())


def message(kind: str, channel: str) -> dict:
    return {"type": kind, "channel": channel, "data": "x", "pattern": None}


def test_the_first_watch_of_a_channel_sends_its_subscription_and_the_next_one_does_not():
    waiters, first, second = Waiters(nullcontext()), watch("a"), watch("a")
    assert waiters.add(first) is True
    assert waiters.add(second) is False
    assert waiters.changes("") == ([], [])  # nothing left for the reader to send


def test_a_confirmation_and_a_message_wake_the_channel_s_watches_only():
    waiters, a, b = Waiters(nullcontext()), watch("a"), watch("b")
    waiters.add(a), waiters.add(b)
    waiters.handle(message("ssubscribe", "a"))
    waiters.handle(message("smessage", "a"))
    waiters.handle(None)
    assert (a.signal.count, b.signal.count) == (2, 0)


def test_a_watch_of_a_confirmed_channel_looks_again_at_once():
    waiters = Waiters(nullcontext())
    waiters.add(watch("a"))
    waiters.handle(message("ssubscribe", "a"))
    late = watch("a")
    assert waiters.add(late) is False and late.signal.count == 1


def test_the_reader_drops_a_channel_nobody_waits_on():
    waiters, only = Waiters(nullcontext()), watch("a")
    waiters.add(only)
    waiters.remove(only)
    assert waiters.changes("") == ([], ["a"])
    assert not waiters.waiting("")


def test_after_a_lost_connection_the_reader_subscribes_everything_again():
    waiters = Waiters(nullcontext())
    for channel, source in (("a", "n1"), ("b", "n1"), ("c", "n2")):
        waiters.add(watch(channel, source))
    waiters.lost("n1")
    assert waiters.changes("n1") == (["a", "b"], [])
    assert waiters.changes("n2") == ([], [])


def test_a_subscription_redis_dropped_is_sent_again_while_claims_wait_on_it():
    waiters = Waiters(nullcontext())
    waiters.add(watch("a"))
    waiters.handle(message("ssubscribe", "a"))
    waiters.handle(message("sunsubscribe", "a"))  # a Cluster slot moved
    assert waiters.changes("") == (["a"], [])


def test_a_subscription_that_could_not_be_sent_is_left_to_the_reader():
    waiters = Waiters(nullcontext())
    waiters.add(watch("a"))
    waiters.unsent("a")
    assert waiters.changes("") == (["a"], [])
