"""softprob: the helper package of the book *Why softmax scores are probabilities*.

Modules, named by concept:

* :mod:`softprob.activations` -- sigmoid, softmax and their logs, stable at any logit.
* :mod:`softprob.losses` -- cross-entropy (binary, categorical), Brier score, hinge loss.
* :mod:`softprob.information` -- entropy, KL divergence, conditional KL and entropy.
* :mod:`softprob.data` -- problems with a closed-form posterior P(c|x).
* :mod:`softprob.fit` -- logistic regression by Newton's method (single and batched); feature maps.
* :mod:`softprob.fit_multiclass` -- softmax regression for K classes by Newton's method.
* :mod:`softprob.priors` -- moving posteriors between class priors; EM for an unknown target
  prior; the sampling covariance of a reweighted fit; density ratios.
* :mod:`softprob.scoring` -- fitting a linear score with the Brier score or the hinge loss.
* :mod:`softprob.descent` -- plain gradient descent recording the objective at every step.
* :mod:`softprob.nn` -- a small NumPy MLP (sigmoid/softmax output): initialisation, forward, gradient.
* :mod:`softprob.training` -- training that MLP with Adam, weight decay and early stopping.
* :mod:`softprob.optim` -- the Adam optimiser.
* :mod:`softprob.calibration` -- reliability curves, expected calibration error, temperature scaling.
* :mod:`softprob.symbolic` -- SymPy objects and solvers shared by the chapters' proofs.
* :mod:`softprob.plotting` -- the book's plot style and recurring figures.
"""

__version__ = "0.1.0"
