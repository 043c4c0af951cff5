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
chain rule. Training (Adam, weight decay, early stopping) is in
:mod:`softprob.training`; chapter 8 trains these networks and checks their calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, as_float_array, as_generator, as_labels, non_negative,
                              positive_int)
from softprob.activations import log_sigmoid, log_softmax, sigmoid, softmax


_ACTIVATIONS = ("tanh", "relu")


def _features(X: ArrayLike, n_features: int | None = None) -> FloatArray:
    x = as_float_array("X", X, ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"X: expected {n_features} feature(s) per row, got {x.shape[1]}")
    return x


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
    rng = as_generator(rng)
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
                      non_negative("weight_decay", weight_decay))
