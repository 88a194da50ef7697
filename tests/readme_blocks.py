"""The shell commands of the README: its ```sh blocks, split into commands with their shown answers.

A block runs as it is unless the line before its fence is a marker:
``<!-- readme-test: not run (why) -->`` or ``<!-- readme-test: waits for an event -->`` (a command
that blocks until an event arrives, which the runner then sends).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"<!--\s*readme-test:\s*(.+?)\s*-->")
NOT_RUN, WAITS = "not run", "waits for an event"


@dataclass
class Command:
    """One shell command, and the JSON answer the README shows under it (``# {...}``), if any."""

    text: str
    shown: dict | None = None


@dataclass
class Block:
    """One fenced shell block: where it starts, its marker and its commands."""

    line: int
    marker: str = ""
    commands: list[Command] = field(default_factory=list)


def shell_blocks(markdown: str) -> list[Block]:
    """Every ```sh / ```bash / ```shell block of ``markdown``, in order."""
    blocks, lines, current, marker = [], markdown.splitlines(), None, ""
    for number, line in enumerate(lines, 1):
        fence = FENCE.match(line)
        if current is None and fence and fence.group(1) in ("sh", "bash", "shell"):
            current, body = Block(number, marker), []
        elif current is not None and fence:
            current.commands = split_commands(body)
            blocks.append(current)
            current = None
        elif current is not None:
            body.append(line)
        found = MARKER.search(line)
        marker = found.group(1) if found else ""
    return blocks


def complete(text: str) -> bool:
    """True when ``text`` is a whole command: its quotes closed, no continuation backslash."""
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:  # "No closing quotation"
        return False
    return True


def shown_answer(comment: str) -> dict | None:
    """The JSON object a ``# {...}  (HTTP 400)`` comment shows, or ``None``."""
    text = comment.lstrip("# ").strip()
    if not text.startswith("{"):
        return None
    answer, _ = json.JSONDecoder().raw_decode(text)
    return answer


def split_commands(body: list[str]) -> list[Command]:
    """The commands of a block's lines; a comment line right after a command is its answer."""
    commands, pending = [], []
    for line in body:
        if not pending and (not line.strip() or line.strip().startswith("#")):
            if commands and line.strip().startswith("#") and commands[-1].shown is None:
                commands[-1].shown = shown_answer(line.strip())
            continue
        pending.append(line)
        if complete("\n".join(pending)):
            commands.append(Command("\n".join(pending).strip()))
            pending = []
    if pending:
        raise ValueError(f"unfinished command: {' '.join(pending)}")
    return commands
