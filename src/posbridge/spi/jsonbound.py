"""JSON from Wix, parsed only after its nesting depth is known to be bounded.

Python's parser recurses once per nesting level, so a body nested tens of thousands of levels
deep raises `RecursionError` (a 500) instead of a clean refusal. The depth is measured on the
raw text first: string literals are blanked out, then the running count of `[`/`{` minus
`]`/`}` is taken in C (`itertools.accumulate`), so even a 1 MiB body costs milliseconds.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate, repeat
from operator import sub
from typing import Any

# Far above any real Wix body (an order is about eight levels deep), far below the recursion limit.
MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Opening brackets become 2, closing ones 0, everything else is dropped: minus 1 gives the step.
_BRACKETS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{]}")


class TooDeep(ValueError):
    """The JSON text nests deeper than allowed."""


def json_depth(text: bytes | str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (an upper bound for malformed text)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") == 0:
        return 0
    steps = _STRING.sub(b'""', raw).translate(_BRACKETS, _NOT_BRACKETS)
    if not steps:
        return 0
    return max(0, max(accumulate(map(sub, steps, repeat(1)))))


def loads_bounded(text: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, refusing (TooDeep) nesting over `max_depth` before parsing and NaN/Infinity literals.

    Raises ValueError (TooDeep included) or UnicodeDecodeError for text that is not acceptable JSON.
    """
    if json_depth(text) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text, parse_constant=_no_constants)


def _no_constants(name: str) -> Any:
    # JSON has no NaN or Infinity; Python's parser accepts them unless told otherwise.
    raise ValueError(f"{name} is not JSON")
