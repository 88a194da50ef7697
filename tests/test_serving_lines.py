"""The gevent worker's access-line writer: in order, complete, never blocking the other greenlets."""

import os

import gevent

from burki_sip.serving.lines import BackgroundLines


def read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_every_line_is_written_in_order_by_close():
    read_end, write_end = os.pipe()
    lines = BackgroundLines(write_end)
    sent = [f'{{"n": {n}}}\n' for n in range(3000)]
    for line in sent:
        lines.put(line)
    lines.close()
    os.close(write_end)
    assert read_all(read_end).decode() == "".join(sent)


def test_a_stuck_stdout_does_not_stop_other_greenlets():
    read_end, write_end = os.pipe()
    lines = BackgroundLines(write_end)
    big = "x" * 4000 + "\n"
    for _ in range(100):  # far more than a pipe's buffer, and nobody reads yet
        lines.put(big)
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(10)])
    ticker.join(timeout=2)
    assert len(ticks) == 10  # the hub went on while the write waited
    reader = gevent.get_hub().threadpool.spawn(read_all, read_end)
    lines.close()
    os.close(write_end)
    assert reader.get(timeout=5) == big.encode() * 100
