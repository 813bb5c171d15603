"""Cold start: ``corsc compile examples/api.cors --target json`` against ``python -c "import
lark, attrs"`` on the same machine, interleaved, medians of at least 10 runs each.

Target: at most 1.3 times the baseline. The grammar is never rebuilt on start (Lark's cache).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    corsc = [sys.executable, "-m", "corsc", "compile", "examples/api.cors", "--target", "json"]
    baseline = [sys.executable, "-c", "import lark, attrs"]
    # An installed corsc has its bytecode compiled (pip does it at install time); an editable
    # checkout gets it here, since PYTHONDONTWRITEBYTECODE may keep Python from writing it.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "corsc", "backends", "grammar"],
        check=True,
        cwd=ROOT,
    )
    timed(corsc)  # warm the OS cache and Lark's grammar cache
    corsc_times, baseline_times = [], []
    for _ in range(args.runs):
        baseline_times.append(timed(baseline))
        corsc_times.append(timed(corsc))
    corsc_median = statistics.median(corsc_times)
    baseline_median = statistics.median(baseline_times)
    ratio = corsc_median / baseline_median
    print(
        json.dumps(
            {
                "benchmark": "cold-start",
                "runs": args.runs,
                "corsc_median_s": round(corsc_median, 4),
                "baseline_median_s": round(baseline_median, 4),
                "ratio": round(ratio, 3),
                "target_ratio": TARGET_RATIO,
                "met": ratio <= TARGET_RATIO,
            }
        )
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
