"""The mutation suite's files are valid (the suite itself runs as its own CI stage).

Cheap, static: every chapter has a mutant file, every mutant's ``find`` occurs exactly once in its
chapter's code cells and before an assert, ids are unique, and each chapter has at least three
non-equivalent mutants. Running the mutants is ``python tests/mutation/run.py`` (see the README).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1] / "mutation" / "run.py"


def _runner():
    spec = importlib.util.spec_from_file_location("mutation_run", RUNNER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_mutant_files_are_valid():
    mutants, problems = _runner().load_mutants()
    assert not problems, "\n".join(problems)
    assert len({m.chapter for m in mutants}) >= 8


def test_runner_rejects_a_stale_mutant(tmp_path):
    runner = _runner()
    stale = runner.Mutant(chapter="01_cross_entropy_is_kl", id="x", claim="c", what="w",
                          find="this text is in no cell", replace="y")
    try:
        runner.mutate(stale)
    except ValueError as exc:
        assert "occurs 0 times" in str(exc)
    else:
        raise AssertionError("a mutant whose find matches nothing was accepted")
