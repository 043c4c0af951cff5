"""A small NumPy MLP and its training (cross-entropy, Adam, L2 weight decay, early stopping).

The network maps x through one or more hidden layers (``tanh`` or ``relu``)
to logits: one logit of class A for two classes (sigmoid output), or K
logits (softmax output). The training objective is the mean cross-entropy
plus an optional L2 penalty (weight decay) :math:`\\frac{\\lambda}{2}\\sum_l \\lVert W_l\\rVert^2`
(``l2`` = :math:`\\lambda`; biases are not penalised), minimised with Adam
(:class:`softprob.optim.Adam`), full-batch or in mini-batches, optionally
stopping early on a validation split.

The backward pass starts from the output-layer gradient
:math:`\\partial \\ell / \\partial z = p - y` (sigmoid: :math:`\\sigma(z) - y`;
softmax: the row ``softmax(z) - onehot(y)``), the identity chapter 5 of the
book proves in SymPy (equation ``ch5-gradient``); everything below it is the
chain rule (in ``softprob._mlp``). Chapter 8 trains these networks and checks
their calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob import _mlp
from softprob._checks import FloatArray
from softprob.optim import Adam

_ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class MLP:
    """A fully connected network; ``params`` = (W_1, b_1, ..., W_L, b_L).

    Attributes
    ----------
    params : tuple of ndarray
        Weights W_l of shape (fan_in, fan_out) and biases b_l of shape (fan_out,).
        The last layer has one output (two classes) or K outputs.
    activation : {'tanh', 'relu'}
        Hidden-layer non-linearity.
    """

    params: tuple[FloatArray, ...]
    activation: str = "tanh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", chk.as_mlp_params("params", self.params))
        chk.one_of("activation", self.activation, _ACTIVATIONS)

    @property
    def n_features(self) -> int:
        """Input dimension d."""
        return self.params[0].shape[0]

    @property
    def n_classes(self) -> int:
        """Number of classes (2 for a single sigmoid output)."""
        k = self.params[-1].shape[0]
        return 2 if k == 1 else k

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.size for p in self.params)

    def logits(self, X: ArrayLike) -> FloatArray:
        """Logits at X: shape (n,) (logit of A) for two classes, (n, K) otherwise."""
        z = _mlp.forward(self.params, self.activation, chk.as_features("X", X, self.n_features))[1]
        return z[:, 0] if self.params[-1].shape[0] == 1 else z

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """P(A | x) of shape (n,) for two classes; probability rows (n, K) otherwise."""
        z = self.logits(X)
        return kern.sigmoid(z) if z.ndim == 1 else np.exp(kern.log_softmax(z, axis=1))


def init_mlp(n_features: int, n_classes: int, hidden: tuple[int, ...], rng: np.random.Generator,
             *, activation: str = "tanh") -> MLP:
    """A network with Gaussian weights of variance c/fan_in (c = 1 tanh, 2 relu), zero biases.

    Parameters
    ----------
    n_features : int
        Input dimension d.
    n_classes : int
        2 gives one sigmoid output (logit of A, label 1); K > 2 gives K softmax outputs.
    hidden : tuple of int
        Widths of the hidden layers, e.g. ``(16,)`` or ``(64, 64)``.
    rng : numpy.random.Generator
        Source of the initial weights.
    activation : {'tanh', 'relu'}
        Hidden non-linearity.

    Returns
    -------
    MLP

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.nn import init_mlp
    >>> net = init_mlp(2, 3, (8,), np.random.default_rng(0))
    >>> [p.shape for p in net.params], net.n_params
    ([(2, 8), (8,), (8, 3), (3,)], 51)
    """
    n_features = chk.positive_int("n_features", n_features)
    n_classes = chk.positive_int("n_classes", n_classes, minimum=2)
    if not isinstance(hidden, (tuple, list)) or len(hidden) == 0:
        raise ValueError(f"hidden: expected a non-empty tuple of layer widths, got {hidden!r}")
    widths = [chk.positive_int("hidden", h) for h in hidden]
    activation = chk.one_of("activation", activation, _ACTIVATIONS)
    rng = chk.as_generator(rng)
    gain = 1.0 if activation == "tanh" else 2.0
    sizes = [n_features, *widths, 1 if n_classes == 2 else n_classes]
    params: list[FloatArray] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(scale=math.sqrt(gain / fan_in), size=(fan_in, fan_out)),
                   np.zeros(fan_out)]
    return MLP(tuple(params), activation)


def _labels(model_classes: int, y: ArrayLike, x: FloatArray, name: str = "y") -> FloatArray:
    labels = chk.as_labels(name, y, model_classes)
    chk.same_length(("X", name), x, labels)
    return _mlp.targets(labels, 1 if model_classes == 2 else model_classes)


def loss_and_gradient(model: MLP, X: ArrayLike, y: ArrayLike, *,
                      l2: float = 0.0) -> tuple[float, list[FloatArray]]:
    r"""Mean cross-entropy (+ L2 penalty) and its gradient for every parameter array.

    Parameters
    ----------
    model : MLP
        The network.
    X : array_like, shape (n, d)
        Inputs.
    y : array_like, shape (n,)
        Labels: 1 = A, 0 = B for two classes; 0..K-1 otherwise.
    l2 : float, default 0
        Weight decay :math:`\lambda \ge 0` in :math:`\frac{\lambda}{2}\sum_l \lVert W_l \rVert^2`.

    Returns
    -------
    loss : float
        The objective (nats, plus the penalty).
    grads : list of ndarray
        Same order and shapes as ``model.params``.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.nn import init_mlp, loss_and_gradient
    >>> net = init_mlp(1, 2, (4,), np.random.default_rng(0))
    >>> X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    >>> loss, grads = loss_and_gradient(net, X, y)
    >>> bool(np.isclose(grads[-1][0], np.mean(net.predict_proba(X) - y)))  # bias: mean(p - y)
    True
    """
    model = _as_mlp(model)
    x = chk.as_features("X", X, model.n_features)
    return _mlp.loss_grad(model.params, model.activation, x, _labels(model.n_classes, y, x),
                          chk.non_negative("l2", l2))


def _as_mlp(model: object) -> MLP:
    if not isinstance(model, MLP):
        raise ValueError(f"model: expected an MLP, got {type(model).__name__}")
    return model


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train_mlp`.

    Attributes
    ----------
    model : MLP
        The returned network (the best-on-validation one when early stopping).
    train_loss : ndarray
        Per epoch, the mean of the mini-batch objectives (cross-entropy + penalty).
    val_loss : ndarray or None
        Per epoch, the validation cross-entropy after the epoch's updates.
    best_epoch : int
        Epoch (1-based) whose parameters were returned.
    stopped_early : bool
        Whether training stopped before ``epochs`` because validation stopped improving.
    """

    model: MLP
    train_loss: FloatArray
    val_loss: FloatArray | None
    best_epoch: int
    stopped_early: bool


def train_mlp(X: ArrayLike, y: ArrayLike, n_classes: int, hidden: tuple[int, ...],
              rng: np.random.Generator, *, activation: str = "tanh", epochs: int = 1000,
              learning_rate: float = 1e-2, l2: float = 0.0, batch_size: int | None = None,
              validation: tuple[ArrayLike, ArrayLike] | None = None,
              patience: int | None = None) -> TrainResult:
    """Train an MLP on mean cross-entropy with Adam, full-batch or mini-batch.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Training inputs.
    y : array_like, shape (n,)
        Training labels (1 = A, 0 = B; or 0..K-1).
    n_classes : int
        Number of classes (2: one sigmoid output).
    hidden : tuple of int
        Hidden widths, as in :func:`init_mlp`.
    rng : numpy.random.Generator
        Initial weights and mini-batch shuffling.
    activation : {'tanh', 'relu'}
        Hidden non-linearity.
    epochs : int, default 1000
        Maximum passes over the training data.
    learning_rate : float, default 1e-2
        Adam step size.
    l2 : float, default 0
        Weight decay (see :func:`loss_and_gradient`).
    batch_size : int, optional
        Mini-batch size; ``None`` means full batch.
    validation : (X_val, y_val), optional
        Held-out split whose cross-entropy is recorded after each epoch.
    patience : int, optional
        Early stopping: stop after this many epochs without a new best validation
        loss and return the best parameters. Requires ``validation``.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.nn import train_mlp
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 1)); y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    >>> res = train_mlp(x, y, 2, (8,), rng, epochs=300, learning_rate=0.05)
    >>> bool(res.train_loss[-1] < 0.3 * res.train_loss[0])
    True
    """
    x = chk.as_features("X", X)
    rng = chk.as_generator(rng)
    model = init_mlp(x.shape[1], n_classes, hidden, rng, activation=activation)
    t = _labels(model.n_classes, y, x)
    epochs, l2 = chk.positive_int("epochs", epochs), chk.non_negative("l2", l2)
    batch = x.shape[0] if batch_size is None else chk.positive_int("batch_size", batch_size)
    if patience is not None:
        patience = chk.positive_int("patience", patience)
        if validation is None:
            raise ValueError("patience: early stopping needs a validation split")
    val = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise ValueError("validation: expected a pair (X_val, y_val)")
        xv = chk.as_features("validation", validation[0], x.shape[1])
        val = (xv, _labels(model.n_classes, validation[1], xv, "validation"))
    opt = Adam([p.shape for p in model.params], learning_rate=chk.positive_float("learning_rate",
                                                                             learning_rate))
    with kern.single_threaded_blas():
        best, train_hist, val_hist, best_epoch, stopped = _mlp.train(
            model.params, model.activation, x, t, opt, epochs, l2, batch, rng, val, patience)
    return TrainResult(MLP(best, model.activation), np.array(train_hist),
                       None if val is None else np.array(val_hist), best_epoch, stopped)
