"""How long the book takes: a clean build with execution, and the full nbval run.

    .venv/bin/python benchmarks/book_timing.py             # build + nbval (about 2 minutes)
    .venv/bin/python benchmarks/book_timing.py --skip-nbval

1. ``jupyter-book build . -W -n --keep-going --path-output <fresh temp dir>``
   (every notebook is executed: execute_notebooks is "force"): total wall
   time, and each notebook's execution time as myst-nb reports it
   ("Executed notebook in X seconds", kernel start-up included), largest first.
2. ``python -m pytest book/`` (strict nbval, as CI runs it): total wall time,
   and per notebook the sum of its cells' setup/call/teardown durations.

Targets (2-core machine): build <= 60 s, nbval <= 60 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import cpu_model, load, print_table

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
EXECUTED = re.compile(r"([\w./-]+\.ipynb): Executed notebook in ([\d.]+) seconds")
DURATION = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(book/[^:\s]+\.ipynb)(::.*)?$")
SUMMARY = re.compile(r"\d+ (?:passed|failed)[^\n]* in [\d.]+s")


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall time, exit code and combined output of a command run from the repository root."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - t0, proc.returncode, proc.stdout + proc.stderr


def build() -> tuple[float, int, dict[str, float]]:
    out_dir = Path(tempfile.mkdtemp(prefix="softprob-book-timing-"))
    try:
        seconds, code, log = run([str(VENV_BIN / "jupyter-book"), "build", ".", "-W", "-n",
                                  "--keep-going", "--path-output", str(out_dir)])
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    if code:
        print(log[-3000:])
    per_nb = {Path(m.group(1)).name: float(m.group(2)) for m in EXECUTED.finditer(log)}
    return seconds, code, per_nb


def nbval() -> tuple[float, int, dict[str, float], str, list[tuple[float, str]]]:
    seconds, code, log = run([sys.executable, "-m", "pytest", "book/", "-q", "--durations=0",
                              "--durations-min=0"])
    per_nb: dict[str, float] = defaultdict(float)
    cells = []
    for line in log.splitlines():
        m = DURATION.match(line)
        if m:
            per_nb[Path(m.group(3)).name] += float(m.group(1))
            if m.group(2) == "call":
                cells.append((float(m.group(1)), f"{Path(m.group(3)).name}{m.group(4) or ''}"))
    found = SUMMARY.findall(log)
    return seconds, code, dict(per_nb), (found[-1] if found else "no summary"), sorted(cells)[::-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-nbval", action="store_true")
    args = parser.parse_args()
    print("# book timing")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; load average at start: {load()}")
    b_time = n_time = None
    per_build: dict[str, float] = {}
    per_nbval: dict[str, float] = {}
    if not args.skip_build:
        b_time, b_code, per_build = build()
        print(f"\nbuild (clean, executed, -W -n): {b_time:.1f} s, exit code {b_code} "
              f"({'met' if b_code == 0 and b_time <= 60 else 'MISSED'}: target <= 60 s)")
    if not args.skip_nbval:
        n_time, n_code, per_nbval, summary, cells = nbval()
        print(f"nbval (python -m pytest book/): {n_time:.1f} s, exit code {n_code}, {summary} "
              f"({'met' if n_code == 0 and n_time <= 60 else 'MISSED'}: target <= 60 s)")
        print("slowest cells under nbval: " + "; ".join(f"{c} {t:.2f} s" for t, c in cells[:6]))
    names = sorted(set(per_build) | set(per_nbval),
                   key=lambda nb: -max(per_build.get(nb, 0.0), per_nbval.get(nb, 0.0)))
    rows = [[nb, f"{per_build[nb]:.2f}" if nb in per_build else "-",
             f"{per_nbval[nb]:.2f}" if nb in per_nbval else "-"] for nb in names]
    rows.append(["total", f"{sum(per_build.values()):.2f}", f"{sum(per_nbval.values()):.2f}"])
    print()
    print_table(["notebook", "build: executed in (s)", "nbval: cells (s)"], rows)
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
