"""``burki-sip events consume`` as real processes on a real redis-server: kills, dead letters."""

import collections
import json
import os
import signal
import subprocess

import pytest

from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore, Transition
from support import BIN, wait_until

pytestmark = pytest.mark.integration

STREAM = "burki:sip:events:status"
EVENTS = 2000
KILLS_EACH = 3
# Appends "<generation> <event JSON>" in one write (O_APPEND, fsync): lines never interleave.
# An event cut short (its consumer killed while writing it) has no newline: `read` fails on it.
RECORD = ("IFS= read -r event || exit 1; printf '%s %s\\n' \"$GEN\" \"$event\" | "
          "dd of={out} oflag=append conv=notrunc,fsync iflag=fullblock bs=65536 status=none")


def post_status_events(redis_client, count):
    store = CallStore(redis_client, Keys())
    return [store.record_event("status", {"call_sid": f"call-{n}", "status": "ringing"},
                               "application/json", f"call-{n}",
                               transition=Transition("ringing")).event_id
            for n in range(count)]


def consume(redis_server, name, command, generation="", *options):
    env = {**os.environ, "REDIS_URL": redis_server.url, "GEN": generation, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [str(BIN / "burki-sip"), "events", "consume", "status", "--group", "billing",
         "--consumer", name, "--exec", command, "--from-start", "--claim-idle", "60", *options],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def lines_of(path):
    return path.read_text().splitlines() if path.exists() else []


def group_done(redis_client):
    [group] = redis_client.xinfo_groups(STREAM)
    return group["pending"] == 0 and group["lag"] == 0


def stop(process):
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    return process.returncode, stderr


def test_sigkilled_consumers_lose_nothing_and_repeat_only_unacknowledged_work(
        redis_server, real_redis, tmp_path):
    ids = post_status_events(real_redis, EVENTS)
    out = tmp_path / "handled.txt"
    command = RECORD.replace("{out}", str(out))
    generations = {"a": 0, "b": 0}
    procs = {name: consume(redis_server, name, command, f"{name}0") for name in generations}
    killed = []
    for kill in range(2 * KILLS_EACH):
        wait_until(lambda: len(lines_of(out)) >= (kill + 1) * EVENTS // (2 * KILLS_EACH + 1),
                   timeout=60, what="progress before the next kill")
        name = "ab"[kill % 2]
        procs[name].kill()  # SIGKILL, mid-batch: nothing of the consumer's own runs
        procs[name].communicate(timeout=30)
        killed.append(f"{name}{generations[name]}")
        generations[name] += 1
        procs[name] = consume(redis_server, name, command, f"{name}{generations[name]}")
    wait_until(lambda: group_done(real_redis), timeout=60, what="every event acknowledged")
    for process in procs.values():
        assert stop(process)[0] == 0

    handled = [line.split(" ", 1) for line in lines_of(out)]
    seen = collections.Counter(json.loads(event)["id"] for _, event in handled)
    assert set(seen) == set(ids)  # none lost
    duplicates = {entry_id for entry_id, times in seen.items() if times > 1}
    assert sum(seen.values()) - EVENTS <= len(killed)  # at most one per kill
    last_of = {gen: json.loads(event)["id"] for gen, event in handled}  # each generation's last
    for entry_id in duplicates:
        gens = [gen for gen, event in handled if json.loads(event)["id"] == entry_id]
        repeated_by_killed = [gen for gen in gens if gen in killed and last_of[gen] == entry_id]
        # Every run but one was the last event of a killed consumer: finished, never acknowledged.
        assert len(repeated_by_killed) >= len(gens) - 1, (entry_id, gens)
    assert real_redis.xlen(STREAM + ":dead") == 0


def test_an_always_failing_event_is_dead_lettered_and_the_consumer_moves_on(
        redis_server, real_redis, tmp_path):
    out = tmp_path / "handled.txt"
    command = ('read -r line; case "$line" in *poison*) echo "boom: cannot bill" >&2; exit 3;; '
               f'esac; printf "%s\\n" "$line" >> {out}')
    store = CallStore(real_redis, Keys())
    first, poison, last = (store.record_event("status", {"call_sid": sid, "status": "ringing"},
                                              "application/json", sid,
                                              transition=Transition("ringing")).event_id
                           for sid in ("ok-1", "poison-1", "ok-2"))
    process = consume(redis_server, "c1", command, "", "--max-deliveries", "3",
                      "--retry-delay", "0.1")
    wait_until(lambda: real_redis.xlen(STREAM + ":dead") and group_done(real_redis),
               timeout=30, what="the poison event dead-lettered")
    code, stderr = stop(process)

    assert code == 0
    [(_, dead)] = real_redis.xrange(STREAM + ":dead")
    assert dead["dead_entry_id"] == poison and dead["call_sid"] == "poison-1"
    assert dead["dead_deliveries"] == "3"
    assert dead["dead_error"] == "exit status 3: boom: cannot bill"
    assert [json.loads(line)["id"] for line in lines_of(out)] == [first, last]
    # The handler's own stderr is passed through, once per run.
    assert stderr.splitlines().count("boom: cannot bill") == 3


def test_sigterm_lets_the_running_event_finish_and_acknowledges_it(redis_server, real_redis,
                                                                   tmp_path):
    ids = post_status_events(real_redis, 3)
    started, out = tmp_path / "started", tmp_path / "handled.txt"
    command = (f'touch {started}; sleep 1; IFS= read -r event || exit 1; '
               f'printf "%s\\n" "$event" >> {out}')
    # One delivery each: a stop must not cost the entries read but not run one of them.
    process = consume(redis_server, "c1", command, "", "--max-deliveries", "1")
    wait_until(started.exists, timeout=30, what="the first event running")
    process.send_signal(signal.SIGTERM)  # while its command sleeps
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 0, stderr
    assert [json.loads(line)["id"] for line in lines_of(out)] == ids[:1]  # finished, then stopped
    [group] = real_redis.xinfo_groups(STREAM)
    assert group["pending"] + group["lag"] == 2  # the other two: kept for the next start
    pending = real_redis.xpending_range(STREAM, "billing", "-", "+", 10)
    assert ids[0] not in {row["message_id"] for row in pending}  # acknowledged
    assert {row["times_delivered"] for row in pending} <= {0}  # read, not run: no delivery

    restarted = consume(redis_server, "c1", RECORD.replace("{out}", str(out)), "",
                        "--max-deliveries", "1")
    wait_until(lambda: group_done(real_redis), timeout=30, what="the other two run")
    assert stop(restarted)[0] == 0
    assert [json.loads(line.split(" ", 1)[1])["id"] for line in lines_of(out)[1:]] == ids[1:]
    assert real_redis.xlen(STREAM + ":dead") == 0


def test_a_command_whose_consumer_is_killed_as_it_starts_still_reads_the_whole_event(
        redis_server, real_redis, tmp_path):
    store = CallStore(real_redis, Keys())
    notes = "x" * 200_000  # more than a pipe holds: a consumer writing one would block midway
    entry_id = store.record_event("status", {"call_sid": "big-1", "status": "ringing",
                                             "notes": notes}, "application/json", "big-1",
                                  transition=Transition("ringing")).event_id
    out, read, done = tmp_path / "event.json", tmp_path / "read", tmp_path / "done"
    # The command kills its consumer before it reads a byte, reads its stdin, then writes to its
    # stderr, which its consumer no longer reads.
    command = (f'kill -KILL $PPID; sleep 0.2; cat > {out}; touch {read}; '
               f'echo "consumer gone" >&2; touch {done}')
    process = consume(redis_server, "c1", command)
    process.communicate(timeout=30)

    assert process.returncode == -signal.SIGKILL
    wait_until(read.exists, timeout=30, what="the command's stdin read")
    text = out.read_text()
    assert text.endswith("\n") and text.count("\n") == 1  # the whole event, not a pipe's worth
    event = json.loads(text)
    assert (event["id"], event["payload"]["notes"]) == (entry_id, notes)
    wait_until(done.exists, timeout=10, what="the command past its stderr (no SIGPIPE)")
