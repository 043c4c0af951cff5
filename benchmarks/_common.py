"""Shared helpers of the benchmark scripts: the machine they ran on, interleaved timing, tables.

Benchmarks print ratios measured side by side in one run; they are never
unit tests (``benchmarks/`` is excluded from pytest and from the book).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import numpy as np


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else the platform string."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load() -> str:
    """1-, 5- and 15-minute load averages."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def machine_header(title: str) -> None:
    """Print what the figures below depend on: CPU, cores, load, library versions, BLAS threads."""
    import sklearn
    from threadpoolctl import threadpool_info

    blas = {(i["internal_api"], i["num_threads"]) for i in threadpool_info()}
    print(f"# {title}")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; load average at start: {load()}")
    print(f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
          f"Python {platform.python_version()}; thread pools {sorted(blas)}")


def interleaved(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Wall times of each callable over ``rounds`` rounds, in a rotated order every round.

    Interleaving spreads the changing load of a shared machine over all
    contestants instead of charging it to whoever ran last.
    """
    names = list(fns)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def median_ms(ts: list[float]) -> float:
    """Median of wall times, in milliseconds."""
    return 1e3 * float(np.median(ts))


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """A Markdown table (pastes straight into the README)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.rjust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |", flush=True)
