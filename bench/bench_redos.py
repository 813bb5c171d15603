"""ReDoS: every regex corsc refuses as super-linear really is, on Python's own engine, and the
common patterns it accepts are not.

For each pattern an attack text (prefix + pump × n + a failing last character) is matched with
``re.fullmatch`` at n and 4n characters of pump. Target: every refused pattern takes more than
8 × as long at 4n (a linear matcher takes about 4 ×, a quadratic one 16 ×), every accepted one
less than 8 × (room for noise: linear is 4 ×). Times are the best of several runs; n is
chosen so the short run takes about a millisecond (for exponential patterns, n + 4 stands in
for 4n).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

# The attack tables are the tests' (tests/regex_engines.py): one list of what corsc refuses as
# super-linear and what it accepts, counted there, timed here.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corsc import regex
from tests.regex_engines import LINEAR, SUPER_LINEAR, attack


def seconds(pattern: re.Pattern[str], text: str) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        pattern.fullmatch(text)
        best = min(best, time.perf_counter() - started)
    return best


def ratio(body: str, prefix: str, pump: str, suffix: str) -> tuple[int, float]:
    """Copies of the pump where one match takes a millisecond, and how much longer 4 × as
    many take. When fewer than 64 copies take a millisecond, n + 4 copies are timed first: an
    exponential matcher is then already more than 8 times slower, and 4n would not end."""
    pattern = re.compile(regex.render(body, "python"))
    copies = 4
    while copies < 65536 and seconds(pattern, attack(prefix, pump, suffix, copies)) < 1e-3:
        copies = copies + 1 if copies < 64 else copies * 2
    small = seconds(pattern, attack(prefix, pump, suffix, copies))
    if copies <= 64:
        exponential = seconds(pattern, attack(prefix, pump, suffix, copies + 4)) / small
        if exponential > 8:
            return copies, exponential
    return copies, seconds(pattern, attack(prefix, pump, suffix, 4 * copies)) / small


def main() -> int:
    results = []
    met = True
    for expected, table in (("refused", SUPER_LINEAR), ("accepted", LINEAR)):
        for body, prefix, pump, suffix in table:
            refused = any(issue.kind == "unsupported" for issue in regex.validate(body))
            copies, growth = ratio(body, prefix, pump, suffix)
            ok = refused == (expected == "refused") and (
                growth > 8 if expected == "refused" else growth < 8
            )
            met = met and ok
            results.append(
                {"body": body, "expected": expected, "n": copies, "growth_4n": round(growth, 1)}
            )
    print(json.dumps({"bench": "redos", "met": met, "results": results}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
