"""softprob: the helper package of the book *Why softmax scores are probabilities*.

Modules, named by concept:

* :mod:`softprob.activations` -- sigmoid, softmax and their logs, stable at any logit.
* :mod:`softprob.losses` -- cross-entropy (binary, categorical), Brier score, hinge loss,
  focal loss (with its minimiser and inverse map), label smoothing and its inverse.
* :mod:`softprob.information` -- entropy, KL divergence, conditional KL and entropy.
* :mod:`softprob.data` -- problems with a closed-form posterior P(c|x), and their quadrature.
* :mod:`softprob.fit` -- logistic and softmax regression (maximum likelihood, optional L2),
  single and batched; Brier and hinge fits; feature maps.
* :mod:`softprob.priors` -- moving posteriors between class priors (binary and K classes);
  EM for an unknown target prior; the sampling covariance of a reweighted fit; density ratios.
* :mod:`softprob.calibration` -- measuring calibration: reliability curves, ECE (binary,
  top-label, class-wise) and their noise floors, the smooth ECE.
* :mod:`softprob.recalibration` -- repairing calibration: temperature scaling, Platt scaling,
  histogram binning.
* :mod:`softprob.optim` -- plain gradient descent (recording the objective) and Adam.
* :mod:`softprob.nn` -- a small NumPy MLP (sigmoid/softmax output) and its training.
* :mod:`softprob.symbolic` -- SymPy objects and solvers shared by the chapters' proofs.
* :mod:`softprob.plotting` -- the book's plot style and recurring figures.
* :mod:`softprob.report` -- the calibration report of a classifier's saved logits
  (``python -m softprob.report LOGITS LABELS``).

An estimate that does not exist is never returned as a number; the fits raise or warn:

* :class:`PerfectSeparationError` (a ``ValueError``): a maximum-likelihood fit has no
  finite solution (separated classes, one class only, no temperature minimises the NLL).
* :class:`PerfectSeparationWarning`: some replications of a batch of fits are separated.
* :class:`RankDeficiencyWarning`: the design is rank deficient (coefficients not unique).
"""

from softprob._existence import (
                                 PerfectSeparationError,
                                 PerfectSeparationWarning,
                                 RankDeficiencyWarning,
)

__version__ = "0.1.0"
__all__ = ["PerfectSeparationError", "PerfectSeparationWarning", "RankDeficiencyWarning",
           "__version__"]
