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

from corsc import regex

REFUSED = [
    (r"https://[a-z]+[a-z]+[a-z]+[a-z]+\.example\.com", "https://", "a", "!"),
    (r"[a-z]+[a-z]+", "", "a", "!"),
    (r".*.*", "", "a", " "),
    (r"[a-z0-9.-]+\.[a-z0-9.-]+", "", ".", "!"),
    (r"\d+\d*", "", "1", "!"),
    (r"[a-z]*\.?[a-z]*", "", "a", "!"),
    (r"(x+x+)+y", "", "x", "!"),
    (r"(?:[a-z]+)+x", "", "a", "!"),
    # Counted repetitions whose copies split one text in many ways: exponential in the count.
    (r"https://([a-z]{1,4}){1,16}\.example\.com", "https://", "a", "!"),
    (r"https://([a-z]|[a-z]{2}){1,32}\.example\.com", "https://", "a", "!"),
    (r"https://([a-z]{1,30}){1,30}\.example\.com", "https://", "a", "!"),
]
ACCEPTED = [
    (r"https://[a-z0-9-]+\.example\.com", "https://", "a", "!"),
    (r"https://pr-\d+\.example\.com", "https://pr-", "1", "!"),
    (r"https://([a-z0-9-]+\.)*example\.com", "https://", "a.", "!"),
    (r"https://[a-z]{1,63}(\.[a-z]{1,63})*\.example\.com", "https://a", ".a", "!"),
    (r"[a-z]{1,3}[a-z]+", "", "a", "!"),
    (r"https://([a-z0-9-]{1,63}\.){1,4}example\.com", "https://", "a.", "!"),
    (r"https://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", "https://1.1.1.", "1", "!"),
]


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
    while copies < 65536 and seconds(pattern, prefix + pump * copies + suffix) < 1e-3:
        copies = copies + 1 if copies < 64 else copies * 2
    small = seconds(pattern, prefix + pump * copies + suffix)
    if copies <= 64:
        exponential = seconds(pattern, prefix + pump * (copies + 4) + suffix) / small
        if exponential > 8:
            return copies, exponential
    return copies, seconds(pattern, prefix + pump * (4 * copies) + suffix) / small


def main() -> int:
    results = []
    met = True
    for expected, table in (("refused", REFUSED), ("accepted", ACCEPTED)):
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
