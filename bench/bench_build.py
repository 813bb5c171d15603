"""Cold start of a project: ``corsc build --check`` for a project of 6 outputs (the policy
examples/spa-localhost.cors for six targets, all up to date) against one ``corsc compile`` of
the same policy for json, interleaved, medians of at least 10 runs each.

Target: at most 2.5 times one compile. Start-up (Python, Lark's cached grammar, the front end)
is paid once and the policy is loaded once for all six outputs, so what is left is each
target's check and emit and reading six files back.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_cold_start import timed  # run from the checkout's root, as this script's commands

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.5
OUTPUTS = {
    "json": "out/api.json",
    "nginx": "out/nginx/",
    "iis": "site/web.config",
    "python": "app/cors.toml",
    "django": "app/cors_django.py",
    "flask": "app/cors_flask.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "corsc", "backends", "grammar"],
        check=True,
        cwd=ROOT,
    )
    with tempfile.TemporaryDirectory() as name:
        project = Path(name)
        shutil.copy(ROOT / "examples" / "spa-localhost.cors", project / "spa-localhost.cors")
        (project / "corsc.toml").write_text(
            "".join(
                f'[[output]]\ntarget = "{target}"\npolicy = "spa-localhost.cors"\n'
                f'path = "{path}"\n\n'
                for target, path in OUTPUTS.items()
            )
        )
        subprocess.run([sys.executable, "-m", "corsc", "build"], check=True, cwd=project)
        build = [sys.executable, "-m", "corsc", "build", "--check", "--project", str(project)]
        policy = "examples/spa-localhost.cors"
        compile = [sys.executable, "-m", "corsc", "compile", policy, "--target", "json"]
        timed(build)  # warm the OS cache and Lark's grammar cache
        build_times, compile_times = [], []
        for _ in range(args.runs):
            compile_times.append(timed(compile))
            build_times.append(timed(build))
    build_median = statistics.median(build_times)
    compile_median = statistics.median(compile_times)
    ratio = build_median / compile_median
    print(
        json.dumps(
            {
                "benchmark": "build-check-cold-start",
                "outputs": len(OUTPUTS),
                "runs": args.runs,
                "build_check_median_s": round(build_median, 4),
                "compile_median_s": round(compile_median, 4),
                "ratio": round(ratio, 3),
                "target_ratio": TARGET_RATIO,
                "met": ratio <= TARGET_RATIO,
            }
        )
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
