"""A small multilayer perceptron in NumPy, trained on cross-entropy with Adam.

The network maps x through one or more hidden layers (``tanh`` or ``relu``)
to logits: one logit of class A for two classes (sigmoid output), or K
logits (softmax output). The training objective is the mean cross-entropy
plus optional weight decay :math:`\\frac{\\lambda}{2}\\sum_l \\lVert W_l\\rVert^2`
(biases are not decayed).

The backward pass starts from the output-layer gradient
:math:`\\partial \\ell / \\partial z = p - y` (sigmoid: :math:`\\sigma(z) - y`;
softmax: the row ``softmax(z) - onehot(y)``), the identity chapter 5 of the
book proves in SymPy (equation ``ch5-gradient``); everything below it is the
chain rule. Chapter 8 trains these networks and checks their calibration.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_float_array, as_labels, positive_int
from softprob.activations import log_sigmoid, log_softmax, sigmoid, softmax
from softprob.optim import Adam

try:  # BLAS threads only add overhead (and stall on a busy machine) at these matrix sizes
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional; installed with scikit-learn
    threadpool_limits = None

_ACTIVATIONS = ("tanh", "relu")


def _features(X: ArrayLike, n_features: int | None = None) -> FloatArray:
    x = as_float_array("X", X, ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"X: expected {n_features} feature(s) per row, got {x.shape[1]}")
    return x


def _check_rng(rng: np.random.Generator) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _non_negative(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    return v


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

    def _forward(self, x: FloatArray) -> tuple[list[FloatArray], FloatArray]:
        hs = [x]
        for w, b in zip(self.params[:-2:2], self.params[1:-2:2]):
            a = hs[-1] @ w
            a += b                            # in place: large temporaries are slow to allocate
            hs.append(np.tanh(a, out=a) if self.activation == "tanh" else np.maximum(a, 0.0, out=a))
        return hs, hs[-1] @ self.params[-2] + self.params[-1]

    def logits(self, X: ArrayLike) -> FloatArray:
        """Logits at X: shape (n,) (logit of A) for two classes, (n, K) otherwise."""
        z = self._forward(_features(X, self.n_features))[1]
        return z[:, 0] if self.params[-1].shape[0] == 1 else z

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """P(A | x) of shape (n,) for two classes; probability rows (n, K) otherwise."""
        z = self.logits(X)
        return sigmoid(z) if z.ndim == 1 else softmax(z, axis=1)


def init_mlp(n_features: int, hidden: tuple[int, ...], n_classes: int, rng: np.random.Generator,
             activation: str = "tanh") -> MLP:
    """A network with Gaussian weights of variance c/fan_in (c = 1 tanh, 2 relu), zero biases.

    Parameters
    ----------
    n_features : int
        Input dimension d.
    hidden : tuple of int
        Widths of the hidden layers, e.g. ``(16,)`` or ``(64, 64)``.
    n_classes : int
        2 gives one sigmoid output (logit of A, label 1); K > 2 gives K softmax outputs.
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
    >>> net = init_mlp(2, (8,), 3, np.random.default_rng(0))
    >>> [p.shape for p in net.params], net.n_params
    ([(2, 8), (8,), (8, 3), (3,)], 51)
    """
    n_features = positive_int("n_features", n_features)
    n_classes = positive_int("n_classes", n_classes, minimum=2)
    if isinstance(hidden, (int, np.integer)) or len(hidden) == 0:
        raise ValueError(f"hidden: expected a non-empty tuple of layer widths, got {hidden!r}")
    widths = [positive_int("hidden", h) for h in hidden]
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: must be one of {_ACTIVATIONS}, got {activation!r}")
    rng = _check_rng(rng)
    gain = 1.0 if activation == "tanh" else 2.0
    sizes = [n_features, *widths, 1 if n_classes == 2 else n_classes]
    params: list[FloatArray] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(scale=math.sqrt(gain / fan_in), size=(fan_in, fan_out)),
                   np.zeros(fan_out)]
    return MLP(tuple(params), activation)


def _targets(model: MLP, y: ArrayLike, n: int) -> FloatArray:
    labels = as_labels("y", y, model.n_classes)
    if labels.shape[0] != n:
        raise ValueError(f"y: has {labels.shape[0]} rows but X has {n}")
    return labels[:, None].astype(float) if model.n_classes == 2 else np.eye(model.n_classes)[labels]


def _loss_grad(model: MLP, x: FloatArray, t: FloatArray, weight_decay: float,
               grad: bool = True) -> tuple[float, list[FloatArray]]:
    hs, z = model._forward(x)
    n = x.shape[0]
    if t.shape[1] == 1:                       # sigmoid output
        ce = -np.mean(t * log_sigmoid(z) + (1 - t) * log_sigmoid(-z))
        delta = (sigmoid(z) - t) / n          # d(mean CE)/dz = (p - y) / n
    else:                                     # softmax output
        ce = -np.sum(t * log_softmax(z, axis=1)) / n
        delta = (softmax(z, axis=1) - t) / n
    ws = model.params[0::2]
    loss = float(ce + 0.5 * weight_decay * sum(np.sum(w * w) for w in ws))
    grads: list[FloatArray] = []
    if not grad:
        return loss, grads
    for layer in range(len(ws) - 1, -1, -1):
        grads = [hs[layer].T @ delta + weight_decay * ws[layer], delta.sum(axis=0)] + grads
        if layer > 0:
            delta = delta @ ws[layer].T
            h = hs[layer]
            if model.activation == "tanh":    # tanh' = 1 - h^2, computed in place
                slope = np.multiply(h, h)
                delta *= np.subtract(1.0, slope, out=slope)
            else:
                delta *= h > 0
    return loss, grads


def loss_and_gradient(model: MLP, X: ArrayLike, y: ArrayLike,
                      weight_decay: float = 0.0) -> tuple[float, list[FloatArray]]:
    r"""Mean cross-entropy (+ weight decay) and its gradient for every parameter array.

    Parameters
    ----------
    model : MLP
        The network.
    X : array_like, shape (n, d)
        Inputs.
    y : array_like, shape (n,)
        Labels: 1 = A, 0 = B for two classes; 0..K-1 otherwise.
    weight_decay : float, default 0
        :math:`\lambda \ge 0` in :math:`\frac{\lambda}{2}\sum_l \lVert W_l \rVert^2`.

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
    >>> net = init_mlp(1, (4,), 2, np.random.default_rng(0))
    >>> X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    >>> loss, grads = loss_and_gradient(net, X, y)
    >>> bool(np.isclose(grads[-1][0], np.mean(net.predict_proba(X) - y)))  # output bias: mean(p - y)
    True
    """
    if not isinstance(model, MLP):
        raise ValueError(f"model: expected an MLP, got {type(model).__name__}")
    x = _features(X, model.n_features)
    return _loss_grad(model, x, _targets(model, y, x.shape[0]),
                      _non_negative("weight_decay", weight_decay))


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


def train_mlp(X: ArrayLike, y: ArrayLike, hidden: tuple[int, ...], rng: np.random.Generator,
              n_classes: int = 2, activation: str = "tanh", epochs: int = 1000,
              learning_rate: float = 1e-2, weight_decay: float = 0.0,
              batch_size: int | None = None, validation: tuple[ArrayLike, ArrayLike] | None = None,
              patience: int | None = None) -> TrainResult:
    """Train an MLP on mean cross-entropy with Adam, full-batch or mini-batch.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Training inputs.
    y : array_like, shape (n,)
        Training labels (1 = A, 0 = B; or 0..K-1).
    hidden : tuple of int
        Hidden widths, as in :func:`init_mlp`.
    rng : numpy.random.Generator
        Initial weights and mini-batch shuffling.
    n_classes : int, default 2
        Number of classes.
    activation : {'tanh', 'relu'}
        Hidden non-linearity.
    epochs : int, default 1000
        Maximum passes over the training data.
    learning_rate : float, default 1e-2
        Adam step size.
    weight_decay : float, default 0
        Penalty coefficient (see :func:`loss_and_gradient`).
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
    >>> res = train_mlp(x, y, (8,), rng, epochs=300, learning_rate=0.05)
    >>> bool(res.train_loss[-1] < 0.3 * res.train_loss[0])
    True
    """
    x = _features(X)
    rng = _check_rng(rng)
    model = init_mlp(x.shape[1], hidden, n_classes, rng, activation)
    t = _targets(model, y, x.shape[0])
    epochs = positive_int("epochs", epochs)
    weight_decay = _non_negative("weight_decay", weight_decay)
    batch = x.shape[0] if batch_size is None else positive_int("batch_size", batch_size)
    if patience is not None:
        patience = positive_int("patience", patience)
        if validation is None:
            raise ValueError("patience: early stopping needs a validation split")
    if validation is not None:
        if len(validation) != 2:
            raise ValueError("validation: expected a pair (X_val, y_val)")
        xv = _features(validation[0], x.shape[1])
        tv = _targets(model, validation[1], xv.shape[0])
    opt = Adam([p.shape for p in model.params], learning_rate=learning_rate)
    with threadpool_limits(1, user_api="blas") if threadpool_limits else nullcontext():
        return _train(model, x, t, opt, epochs, weight_decay, batch, rng,
                      None if validation is None else (xv, tv), patience)


def _train(model: MLP, x: FloatArray, t: FloatArray, opt: Adam, epochs: int, weight_decay: float,
           batch: int, rng: np.random.Generator, validation: tuple[FloatArray, FloatArray] | None,
           patience: int | None) -> TrainResult:
    activation = model.activation
    params, best, best_val, best_epoch = list(model.params), model, np.inf, epochs
    train_hist, val_hist = [], []
    for epoch in range(1, epochs + 1):
        order = np.arange(x.shape[0]) if batch >= x.shape[0] else rng.permutation(x.shape[0])
        losses = []
        for start in range(0, x.shape[0], batch):
            idx = order[start:start + batch]
            loss, grads = _loss_grad(MLP(tuple(params), activation), x[idx], t[idx], weight_decay)
            losses.append(loss)
            params = opt.step(params, grads)
        train_hist.append(float(np.mean(losses)))
        model = MLP(tuple(params), activation)
        if validation is None:
            continue
        val_hist.append(_loss_grad(model, *validation, 0.0, grad=False)[0])
        if val_hist[-1] < best_val:
            best, best_val, best_epoch = model, val_hist[-1], epoch
        elif patience is not None and epoch - best_epoch >= patience:
            return TrainResult(best, np.array(train_hist), np.array(val_hist), best_epoch, True)
    if patience is None:
        best, best_epoch = model, epochs
    return TrainResult(best, np.array(train_hist),
                       None if validation is None else np.array(val_hist), best_epoch, False)
