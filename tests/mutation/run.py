"""Mutation suite: every proof and numerical check of the book must be able to fail.

Each mutant (``tests/mutation/mutants/<notebook stem>.toml``) is a small edit of one chapter's code
that breaks the mathematics or the method: a flipped sign, a swapped ratio, a wrong prior, shuffled
labels. For each one, this script applies the edit to a copy of the notebook, executes the copy
from its first cell up to the last cell that contains an ``assert`` (nothing after it can catch
anything), and stops at the first error. The mutant is KILLED only when that first error is an
``AssertionError``: a crash with another exception, a timeout, or a clean run is a SURVIVOR,
because none of them is a claim's check doing its job. A mutant marked ``equivalent = "<reason>"``
is listed with its reason and neither run nor counted.

How it executes (default): one Python process per chapter runs the chapter's code cells in order,
in one namespace, as a kernel would (matplotlib's Agg backend, so figures are drawn but not
shown). Just before the cell a mutant edits, the process forks; the child runs the mutated cell
and the cells after it, the parent goes on with the original cell. So the cells before a mutant
run once per chapter, not once per mutant, and the copy-on-write child starts from exactly the
state a fresh run would have reached (random generators included). ``--kernel`` runs every mutant
from scratch in a Jupyter kernel instead (nbclient): the same verdicts, several times slower.

Usage::

    python tests/mutation/run.py                    # every mutant, 2 at a time
    python tests/mutation/run.py 03_class_priors    # the mutants of one chapter (or give mutant ids)
    python tests/mutation/run.py --check            # only validate the mutant files (no execution)
    python tests/mutation/run.py --kernel           # each mutant in a fresh Jupyter kernel

Exit status 0 only if every mutant file is valid (each ``find`` occurs exactly once in the
chapter's code cells, ids unique, at least three mutants per chapter) and every non-equivalent mutant
is killed. The summary line gives the kill rate and the time taken.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import os
import re
import signal
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
MUTANTS = Path(__file__).resolve().parent / "mutants"
KEYS = {"id", "claim", "what", "find", "replace"}
OPTIONAL = {"equivalent"}
MIN_PER_CHAPTER = 3
CELL_TIMEOUT = 300
ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)


@dataclass(frozen=True)
class Mutant:
    """One edit of one chapter, as written in its TOML file."""

    chapter: str
    id: str
    claim: str
    what: str
    find: str
    replace: str
    equivalent: str | None = None


def load_mutants() -> tuple[list[Mutant], list[str]]:
    """All mutants of the suite, and every problem that makes the suite invalid."""
    mutants, problems = [], []
    for path in sorted(MUTANTS.glob("*.toml")):
        chapter = path.stem
        if not (BOOK / f"{chapter}.ipynb").is_file():
            problems.append(f"{path.name}: no notebook book/{chapter}.ipynb")
            continue
        try:
            entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path.name}: not valid TOML ({exc})")
            continue
        for i, entry in enumerate(entries):
            missing, unknown = KEYS - entry.keys(), entry.keys() - KEYS - OPTIONAL
            if missing or unknown:
                problems.append(f"{path.name} mutant {i}: missing {sorted(missing)}, "
                                f"unknown {sorted(unknown)}")
                continue
            if entry["find"] == entry["replace"]:
                problems.append(f"{entry['id']}: replace is the same as find")
            mutants.append(Mutant(chapter=chapter, **entry))
        real = [m for m in mutants if m.chapter == chapter and m.equivalent is None]
        if len(real) < MIN_PER_CHAPTER:
            problems.append(f"{path.name}: {len(real)} non-equivalent mutants, "
                            f"need at least {MIN_PER_CHAPTER}")
    seen: set[str] = set()
    for m in mutants:
        if m.id in seen:
            problems.append(f"{m.id}: duplicate mutant id")
        seen.add(m.id)
    for m in mutants:
        try:
            mutate(m)
        except ValueError as exc:
            problems.append(str(exc))
    chapters = {p.stem for p in BOOK.glob("*.ipynb")}
    problems += [f"book/{c}.ipynb: no mutant file tests/mutation/mutants/{c}.toml"
                 for c in sorted(chapters - {m.chapter for m in mutants})]
    return mutants, problems


def mutate(m: Mutant) -> nbformat.NotebookNode:
    """The chapter with the mutant's edit applied, cut after its last cell with an assert."""
    nb = nbformat.read(BOOK / f"{m.chapter}.ipynb", as_version=4)
    hits = [(i, c.source.count(m.find)) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and m.find in c.source]
    total = sum(n for _, n in hits)
    if total != 1:
        raise ValueError(f"{m.id}: 'find' occurs {total} times in the code cells of "
                         f"book/{m.chapter}.ipynb (must be exactly once)")
    nb = copy.deepcopy(nb)
    cell = nb.cells[hits[0][0]]
    cell.source = cell.source.replace(m.find, m.replace)
    last = max((i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and ASSERT_LINE.search(c.source)), default=-1)
    if last < hits[0][0]:
        raise ValueError(f"{m.id}: no assert at or after the mutated cell, nothing can catch it")
    nb.cells = nb.cells[:last + 1]
    return nb


def run_one(m: Mutant) -> tuple[str, str, float]:
    """Execute one mutant; return (id, outcome, seconds). Outcome 'killed' or a reason it survived."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    started = time.perf_counter()
    nb = mutate(m)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": str(BOOK)}})
    try:
        client.execute()
        outcome = "SURVIVED: ran without error"
    except CellTimeoutError:
        outcome = "SURVIVED: timeout"
    except DeadKernelError:
        outcome = "SURVIVED: kernel died"
    except CellExecutionError as exc:
        name = getattr(exc, "ename", "") or ""
        outcome = "killed" if name == "AssertionError" else f"SURVIVED: {name or 'error'} raised"
    return m.id, outcome, time.perf_counter() - started


KILLED, CLEAN, RAISED = 10, 11, 12          # exit codes of a forked mutant


def _code_cells(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _exec(source: str, namespace: dict, where: str) -> None:
    exec(compile(source, where, "exec"), namespace)  # noqa: S102 - running the book's own cells


def _child(cells: list[str], start: int, namespace: dict, report: int) -> None:
    """In a forked process: run cells[start:], exit with the verdict (never returns)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.alarm(CELL_TIMEOUT)
    code, detail = CLEAN, "ran without error"
    try:
        for i in range(start, len(cells)):
            _exec(cells[i], namespace, f"<cell {i}>")
    except AssertionError:
        code, detail = KILLED, "killed"
    except BaseException as exc:  # noqa: BLE001 - any other failure is a survivor, by name
        code, detail = RAISED, f"{type(exc).__name__} raised"
    os.write(report, detail.encode()[:200])
    os._exit(code)


def run_chapter(chapter: str, mutants: list[Mutant], jobs: int) -> dict[str, tuple[str, float]]:
    """Run one chapter once, forking a child at each mutated cell; return id -> (outcome, s)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    original = _code_cells(nb)
    plans = []                                   # (cell index, mutant, mutated cells to run)
    for m in mutants:
        mutated = _code_cells(mutate(m))
        index = next(i for i, (a, b) in enumerate(zip(original, mutated)) if a != b)
        plans.append((index, m, mutated))
    last = max(i for i, _, _ in plans)
    results: dict[str, tuple[str, float]] = {}
    running: dict[int, tuple[str, float, int]] = {}   # pid -> (id, start time, read end)

    def reap(block: bool) -> None:
        while running and (block or len(running) >= max(1, jobs)):
            pid, status = os.wait()
            if pid not in running:
                continue
            mid, started, read_end = running.pop(pid)
            detail = os.read(read_end, 200).decode(errors="replace")
            os.close(read_end)
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                detail = "timeout" if sig == signal.SIGALRM else f"killed by signal {sig}"
            outcome = "killed" if detail == "killed" else f"SURVIVED: {detail or 'no verdict'}"
            results[mid] = (outcome, time.perf_counter() - started)
            block = block and bool(running)

    os.chdir(BOOK)
    namespace: dict = {"__name__": "__main__"}
    try:
        for i, source in enumerate(original[:last + 1]):
            for index, m, mutated in plans:
                if index != i:
                    continue
                reap(block=False)
                read_end, write_end = os.pipe()
                started = time.perf_counter()
                pid = os.fork()
                if pid == 0:
                    os.close(read_end)
                    _child(mutated[:_last_assert(mutated) + 1], i, namespace, write_end)
                os.close(write_end)
                running[pid] = (m.id, started, read_end)
            _exec(source, namespace, f"<cell {i}>")
    except BaseException as exc:  # noqa: BLE001 - the unmutated chapter itself must run
        reap(block=True)
        for _, m, _ in plans:
            results.setdefault(m.id, (f"SURVIVED: the unmutated chapter fails ({exc!r})", 0.0))
        return results
    reap(block=True)
    return results


def _last_assert(cells: list[str]) -> int:
    return max(i for i, c in enumerate(cells) if ASSERT_LINE.search(c))


def _chapter_worker(args: tuple[str, list[Mutant], int]) -> dict[str, tuple[str, float]]:
    chapter, mutants, jobs = args
    here = os.getcwd()
    sink = io.StringIO()             # the chapter's own printed output is not the runner's
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            return run_chapter(chapter, mutants, jobs)
    finally:
        os.chdir(here)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("select", nargs="*", help="notebook stems or mutant ids (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants executed at once (default 2)")
    parser.add_argument("--check", action="store_true", help="validate the mutant files only")
    parser.add_argument("--kernel", action="store_true",
                        help="run each mutant from scratch in a Jupyter kernel (slower)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    mutants, problems = load_mutants()
    for p in problems:
        print(f"INVALID: {p}")
    if args.select:
        mutants = [m for m in mutants if m.chapter in args.select or m.id in args.select]
        if not mutants:
            print(f"no mutant matches {args.select}")
            return 1
    equivalent = [m for m in mutants if m.equivalent is not None]
    todo = [m for m in mutants if m.equivalent is None]
    for m in equivalent:
        print(f"equivalent  {m.id:<38} {m.equivalent}")
    if args.check:
        print(f"{len(todo)} mutants ({len(equivalent)} equivalent) in "
              f"{len({m.chapter for m in mutants})} chapters; "
              f"{'valid' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    by_id = {m.id: m for m in todo}
    results: dict[str, tuple[str, float]] = {}

    def show(mid: str, outcome: str, seconds: float) -> None:
        m = by_id[mid]
        print(f"{'killed  ' if outcome == 'killed' else 'SURVIVOR'}  {mid:<38} {seconds:5.1f} s"
              f"  [{m.claim}] {m.what}" + ("" if outcome == "killed" else f"  -> {outcome}"),
              flush=True)

    if args.kernel:
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for mid, outcome, seconds in pool.map(run_one, todo):
                results[mid] = (outcome, seconds)
                show(mid, outcome, seconds)
    else:
        chapters = sorted({m.chapter for m in todo})
        work = [(c, [m for m in todo if m.chapter == c], args.jobs) for c in chapters]
        # chapters one at a time, each with up to --jobs mutants running beside it
        for chapter_results in map(_chapter_worker, work):
            for mid, (outcome, seconds) in chapter_results.items():
                results[mid] = (outcome, seconds)
                show(mid, outcome, seconds)
    killed = sum(outcome == "killed" for outcome, _ in results.values())
    per_chapter: dict[str, list[int]] = {}
    for m in todo:
        stats = per_chapter.setdefault(m.chapter, [0, 0])
        stats[0] += results[m.id][0] == "killed"
        stats[1] += 1
    for chapter, (k, n) in per_chapter.items():
        print(f"  {chapter:<32} {k}/{n} killed")
    rate = killed / len(todo) if todo else 1.0
    print(f"mutation suite: {killed}/{len(todo)} non-equivalent mutants killed "
          f"({100 * rate:.1f}%), {len(equivalent)} equivalent listed, "
          f"{time.perf_counter() - started:.0f} s")
    return 0 if killed == len(todo) and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
