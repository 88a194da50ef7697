"""The Lua scripts, and the one way their inputs are laid out: ``ScriptCall``.

Each script opens by naming every ``KEYS[n]`` and ``ARGV[n]`` it reads; the dataclass of its call
(``RecordScript``, ``ClaimScript``, ``ReleaseScript``, ``StreamPage``, ``GroupScript``) holds the
same inputs as named fields and says their order once, in ``KEYS`` and ``ARGS``. No other code
builds a script's arguments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from operator import attrgetter
from typing import Any, ClassVar

from redis.exceptions import NoScriptError

from .drivers import Work, written


@cache
def lua(name: str) -> str:
    """The text of the package's script ``name`` (e.g. ``record.lua``)."""
    return files(__package__).joinpath(name).read_text()


@cache
def sha(name: str) -> str:
    """The SHA1 that ``EVALSHA`` names the package's script ``name`` by."""
    return hashlib.sha1(lua(name).encode()).hexdigest()


class ScriptCall:
    """One call of a script: subclasses are dataclasses naming its inputs in ``KEYS``/``ARGS``."""

    SCRIPT: ClassVar[str] = ""
    KEYS: ClassVar[tuple[str, ...]] = ()
    ARGS: ClassVar[tuple[str, ...]] = ()

    def keys(self) -> list[str]:
        """The script's KEYS, in its order."""
        return [getattr(self, name) for name in self.KEYS]

    def args(self) -> list[Any]:
        """The script's ARGV, in its order (``None`` becomes ``''``: absent); a dotted name reads
        an attribute of a field (``lifetimes.idle_ttl``)."""
        return ["" if value is None else value
                for value in (attrgetter(name)(self) for name in self.ARGS)]

    def work(self) -> Work[Any]:
        """The script's run as driver work, a write (``drivers.written``): its reply, read.

        ``EVALSHA`` alone, or followed by ``WAIT`` in the same pipeline when replicas must
        acknowledge it. redis-py's own ``Script`` in a pipeline would first send ``SCRIPT
        EXISTS``, a round trip more; a server that lacks the script (restarted, just promoted)
        answers NOSCRIPT instead, and the script is loaded and run again.
        """
        name, keys, args = f"{self.SCRIPT}.lua", self.keys(), self.args()
        evalsha = written(lambda client: client.evalsha(sha(name), len(keys), *keys, *args))
        try:
            reply = yield evalsha
        except NoScriptError:
            yield lambda client: client.script_load(lua(name))
            reply = yield evalsha
        return self.result(reply)

    def result(self, reply: Any) -> Any:
        """What the reply means; subclasses read it into their own result."""
        return reply


@dataclass(frozen=True)
class GroupScript(ScriptCall):
    """One run of ``group.lua``: the group created if absent (at ``start``), its lag repaired."""

    SCRIPT: ClassVar[str] = "group"
    KEYS: ClassVar[tuple[str, ...]] = ("stream",)
    ARGS: ClassVar[tuple[str, ...]] = ("group", "start")

    stream: str
    group: str
    start: str
