"""Private: keep BLAS on one thread inside softprob's small-matrix loops.

Newton passes over cache-sized blocks and the MLP's small layers gain
nothing from a second BLAS thread; on a busy machine the extra thread only
stalls (measured: up to 10x slower passes under load). ``threadpoolctl`` is
optional (it comes with scikit-learn); without it BLAS keeps its own setting.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None
_CONTROLLER = None


def single_threaded_blas() -> AbstractContextManager:
    """Context in which BLAS runs on one thread.

    The engine's matrix products are on cache-sized blocks: a second BLAS
    thread only adds synchronisation, and on a busy machine it stalls
    (measured: up to 10x slower passes under load).
    """
    global _CONTROLLER
    if ThreadpoolController is None:
        return nullcontext()
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")
