"""The Lua scripts, and the one way their inputs are laid out: ``ScriptCall``.

Each script opens by naming every ``KEYS[n]`` and ``ARGV[n]`` it reads; the dataclass of its call
(``RecordScript``, ``ClaimScript``, ``ReleaseScript``) holds the same inputs as named fields and
says their order once, in ``KEYS`` and ``ARGS``. No other code builds a script's arguments.
"""

from __future__ import annotations

from importlib.resources import files
from operator import attrgetter
from typing import Any, ClassVar

from .drivers import Work


def lua(name: str) -> str:
    """The text of the package's script ``name`` (e.g. ``record.lua``)."""
    return files(__package__).joinpath(name).read_text()


class ScriptCall:
    """One call of a script: subclasses are dataclasses naming its inputs in ``KEYS``/``ARGS``."""

    SCRIPT: ClassVar[str] = ""
    KEYS: ClassVar[tuple[str, ...]] = ()
    ARGS: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._readers = tuple(attrgetter(name) for name in cls.ARGS)

    def keys(self) -> list[str]:
        """The script's KEYS, in its order."""
        return [getattr(self, name) for name in self.KEYS]

    def args(self) -> list[Any]:
        """The script's ARGV, in its order (``None`` becomes ``''``: absent); a dotted name reads
        an attribute of a field (``lifetimes.idle_ttl``)."""
        return ["" if value is None else value for value in (read(self) for read in self._readers)]

    def work(self, scripts: "Scripts") -> Work[Any]:
        """The script's run as driver work (``drivers.run``/``run_async``): its reply, read. The
        operation may be given a pipeline too."""
        script, keys, args = getattr(scripts, self.SCRIPT), self.keys(), self.args()
        reply = yield lambda client: script(keys=keys, args=args, client=client)
        return self.result(reply)

    def result(self, reply: Any) -> Any:
        """What the reply means; subclasses read it into their own result."""
        return reply


class Scripts:
    """The scripts registered on one client (redis-py loads each once, then runs it by SHA)."""

    def __init__(self, client: Any, names: tuple[str, ...] = ("record", "claim", "release", "sweep")):
        for name in names:
            setattr(self, name, client.register_script(lua(f"{name}.lua")))
