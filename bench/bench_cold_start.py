"""Cold start: ``corsc compile examples/api.cors --target json`` against ``python -c "import
lark, attrs"`` on the same machine, interleaved, medians of at least 10 runs each.

corsc is measured as users run it: installed (``pip install .``, not editable) into a
temporary virtual environment that sees the system's packages, run from outside the checkout.
An editable install routes every ``corsc.*`` import through setuptools' import hook, which costs
more than corsc's own start-up work; ``--editable`` measures that form instead.
``--isolated`` installs corsc and its dependencies from the package index into an environment
that does not see the system's packages, as a user's fresh virtual environment is: there
``import lark`` does not find the third-party ``regex`` module (which Lark imports when it is
installed, making the baseline slower), nor any editable install's import hook.

``--instructions`` counts instead, with valgrind's callgrind, the instructions each command
runs once warm (a count, the same on a busy machine; what it leaves out is the time the kernel
spends reading files, the same for both).

Target: at most 1.3 times the baseline. The grammar is never rebuilt on start (Lark's cache).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd
    )
    return time.perf_counter() - start


def instructions(command: list[str], cwd: Path, out: Path) -> int:
    """The instructions ``command`` runs, counted by callgrind."""
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )
    summary = re.search(r"^(?:summary|totals):\s*(\d+)", out.read_text(), re.M)
    assert summary is not None, "callgrind wrote no total"
    return int(summary.group(1))


def installed(directory: Path, *, isolated: bool) -> str:
    """A Python with corsc installed from this checkout (not editable), and its bytecode:
    beside the system's packages, or ``isolated`` with its dependencies from the index."""
    environment = directory / "venv"
    shared = [] if isolated else ["--system-site-packages"]
    subprocess.run([sys.executable, "-m", "venv", *shared, str(environment)], check=True)
    python = str(environment / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", *([] if isolated else ["--no-deps"]), str(ROOT)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--editable", action="store_true", help="measure the checkout's own (editable) install"
    )
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="install corsc with its dependencies into an environment without the system's",
    )
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corsc-cold-start-") as scratch:
        directory = Path(scratch)
        policy = directory / "api.cors"
        shutil.copy(ROOT / "examples" / "api.cors", policy)
        if args.editable:
            python, cwd = sys.executable, ROOT
            subprocess.run(
                [python, "-m", "compileall", "-q", "corsc", "backends", "grammar"],
                check=True,
                cwd=ROOT,
            )
        else:
            python, cwd = installed(directory, isolated=args.isolated), directory
        corsc = [python, "-m", "corsc", "compile", str(policy), "--target", "json"]
        baseline = [python, "-c", "import lark, attrs"]
        timed(corsc, cwd)  # warm the OS cache and Lark's grammar cache
        if args.instructions:
            counts = {
                "corsc": instructions(corsc, cwd, directory / "corsc.out"),
                "baseline": instructions(baseline, cwd, directory / "baseline.out"),
            }
            ratio = counts["corsc"] / counts["baseline"]
            print(
                json.dumps(
                    {
                        "benchmark": "cold-start-instructions",
                        "install": _install(args),
                        "corsc_instructions": counts["corsc"],
                        "baseline_instructions": counts["baseline"],
                        "ratio": round(ratio, 3),
                        "target_ratio": TARGET_RATIO,
                        "met": ratio <= TARGET_RATIO,
                    }
                )
            )
            return 0 if ratio <= TARGET_RATIO else 1
        corsc_times, baseline_times = [], []
        for _ in range(args.runs):
            baseline_times.append(timed(baseline, cwd))
            corsc_times.append(timed(corsc, cwd))
    corsc_median = statistics.median(corsc_times)
    baseline_median = statistics.median(baseline_times)
    ratio = corsc_median / baseline_median
    print(
        json.dumps(
            {
                "benchmark": "cold-start",
                "install": _install(args),
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


def _install(args: argparse.Namespace) -> str:
    return "editable" if args.editable else "isolated" if args.isolated else "installed"


if __name__ == "__main__":
    sys.exit(main())
