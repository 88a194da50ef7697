"""Phone numbers as an erasure looks for them: ``NumberMatch``, every form one may be stored in
(docs/privacy.md lists them: with or without ``+``, in URIs, URL-encoded, national). All of them
hold one of a few digit strings, which stand out wherever they are not part of a longer run of
digits: that is the rule here, and in sweep.lua.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Iterable

from ..redact import country_code

E164 = re.compile(r"\+[1-9]\d{6,14}")
# National forms shorter than this are not looked for: they would match zip codes and counts.
MIN_NATIONAL_DIGITS = 7
# International call prefixes a stored number may carry instead of "+" (ITU's, and NANP's).
INTERNATIONAL_PREFIXES = ("00", "011")


def e164(text: str) -> str:
    """``text`` as an E.164 number (``+`` and 7 to 15 digits, spaces around it ignored), else
    ``ValueError``."""
    number = text.strip()
    if not E164.fullmatch(number):
        raise ValueError("a number must be E.164: + and 7 to 15 digits, e.g. +14155550100")
    return number


def forms(number: str) -> tuple[str, ...]:
    """The digit strings ``number`` (E.164) may be stored as: with its country code, after an
    international prefix, and national (after a trunk ``0``, and bare) when long enough."""
    digits = e164(number)[1:]
    national = digits[len(country_code(digits)):]
    found = [digits, *(prefix + digits for prefix in INTERNATIONAL_PREFIXES)]
    if len(national) >= MIN_NATIONAL_DIGITS:
        found += ["0" + national, national]
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class NumberMatch:
    """The forms of some numbers, and whether a text holds one of them.

    ``groups`` has each number's forms, its shortest first: every other form contains that one,
    so a text without it holds none of them (sweep.lua looks for it first).
    """

    groups: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, numbers: Iterable[str]) -> "NumberMatch":
        """The match of every form of each of ``numbers`` (E.164)."""
        return cls(tuple(dict.fromkeys(tuple(sorted(forms(number), key=len))
                                       for number in numbers)))

    def found_in(self, text: str) -> bool:
        """True when a form stands in ``text`` between non-digits."""
        return bool(self.groups) and bool(_pattern(self.groups).search(text))


@cache
def _pattern(groups: tuple[tuple[str, ...], ...]) -> re.Pattern:
    either = "|".join(form for group in groups for form in group)
    return re.compile(r"(?<!\d)(?:" + either + r")(?!\d)")
