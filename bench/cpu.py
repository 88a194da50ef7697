"""Server CPU time from /proc: utime + stime of a process and all its descendants (Linux only)."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def parse_stat(text: str) -> tuple[int, int]:
    """``(ppid, utime + stime in clock ticks)`` from one ``/proc/<pid>/stat`` line.

    The command name (field 2) is in parentheses and may hold spaces or ')', so fields are
    counted from the last ')': after it come state (3), ppid (4), ..., utime (14), stime (15).
    """
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _stats(proc: Path = PROC) -> dict[int, tuple[int, int]]:
    stats = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = parse_stat((entry / "stat").read_text())
            except (OSError, ValueError):  # gone meanwhile
                continue
    return stats


def tree_ticks(root: int, stats: dict[int, tuple[int, int]]) -> dict[int, int]:
    """CPU ticks of ``root`` and every descendant, by pid, from ``{pid: (ppid, ticks)}``."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats and pid not in found:
            found[pid] = stats[pid][1]
            todo.extend(children.get(pid, ()))
    return found


def sample(root: int, proc: Path = PROC) -> dict[int, int]:
    """Ticks per pid of the server ``root`` (master and workers) right now."""
    return tree_ticks(root, _stats(proc))


def spent_seconds(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds the tree used between two samples; a worker born meanwhile counts whole."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) / TICKS
