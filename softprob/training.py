"""Training the :mod:`softprob.nn` network: Adam on mean cross-entropy, with
optional weight decay, mini-batches and early stopping on a validation split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_generator, non_negative, positive_int
from softprob.nn import MLP, _features, _loss_grad, _targets, init_mlp
from softprob._threads import single_threaded_blas
from softprob.optim import Adam


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
    >>> from softprob.training import train_mlp
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 1)); y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    >>> res = train_mlp(x, y, (8,), rng, epochs=300, learning_rate=0.05)
    >>> bool(res.train_loss[-1] < 0.3 * res.train_loss[0])
    True
    """
    x = _features(X)
    rng = as_generator(rng)
    model = init_mlp(x.shape[1], hidden, n_classes, rng, activation)
    t = _targets(model, y, x.shape[0])
    epochs = positive_int("epochs", epochs)
    weight_decay = non_negative("weight_decay", weight_decay)
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
    with single_threaded_blas():
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
