"""Private engine of :mod:`softprob.nn`: the MLP's forward pass, backpropagation and training loop.

Parameters are a tuple (W_1, b_1, ..., W_L, b_L); the last layer has one
output (the logit of A, two classes) or K outputs (softmax). Everything here
trusts its input; :mod:`softprob.nn` validates at its boundary.
"""

from __future__ import annotations

import numpy as np

from softprob import _kernels as kern
from softprob._checks import FloatArray, IntArray
from softprob.optim import Adam

Params = tuple[FloatArray, ...]


def forward(params: Params, activation: str, x: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Hidden activations (input first) and output logits (n, outputs)."""
    hs = [x]
    for w, b in zip(params[:-2:2], params[1:-2:2]):
        a = hs[-1] @ w
        a += b                            # in place: large temporaries are slow to allocate
        hs.append(np.tanh(a, out=a) if activation == "tanh" else np.maximum(a, 0.0, out=a))
    return hs, hs[-1] @ params[-2] + params[-1]


def targets(labels: IntArray, n_outputs: int) -> FloatArray:
    """Training targets: (n, 1) labels of A for one output, one-hot rows (n, K) otherwise."""
    return labels[:, None].astype(float) if n_outputs == 1 else kern.one_hot(labels, n_outputs)


def loss_grad(params: Params, activation: str, x: FloatArray, t: FloatArray, l2: float,
              grad: bool = True) -> tuple[float, list[FloatArray]]:
    """Mean cross-entropy + (l2/2) sum ||W||^2, and its gradient (backpropagation)."""
    hs, z = forward(params, activation, x)
    n = x.shape[0]
    if t.shape[1] == 1:                       # sigmoid output: d(mean CE)/dz = (p - y) / n
        ce = np.mean(kern.cross_entropy(kern.binary_rows(t[:, 0]), kern.binary_log_probs(z[:, 0])))
        delta = (kern.sigmoid(z) - t) / n
    else:                                     # softmax output
        log_p = kern.log_softmax(z, axis=1)
        ce = np.mean(kern.cross_entropy(t, log_p))
        delta = (np.exp(log_p) - t) / n
    ws = params[0::2]
    loss = float(ce + 0.5 * l2 * sum(np.sum(w * w) for w in ws))
    grads: list[FloatArray] = []
    if not grad:
        return loss, grads
    for layer in range(len(ws) - 1, -1, -1):
        grads = [hs[layer].T @ delta + l2 * ws[layer], delta.sum(axis=0)] + grads
        if layer > 0:
            delta = delta @ ws[layer].T
            h = hs[layer]
            if activation == "tanh":          # tanh' = 1 - h^2, computed in place
                slope = np.multiply(h, h)
                delta *= np.subtract(1.0, slope, out=slope)
            else:
                delta *= h > 0
    return loss, grads


def train(params: Params, activation: str, x: FloatArray, t: FloatArray, opt: Adam, epochs: int,
          l2: float, batch: int, rng: np.random.Generator,
          validation: tuple[FloatArray, FloatArray] | None, patience: int | None
          ) -> tuple[Params, list[float], list[float], int, bool]:
    """Adam over (mini-)batches: (parameters, train losses, val losses, best epoch, stopped)."""
    current, best, best_val, best_epoch = list(params), params, np.inf, epochs
    train_hist: list[float] = []
    val_hist: list[float] = []
    for epoch in range(1, epochs + 1):
        order = np.arange(x.shape[0]) if batch >= x.shape[0] else rng.permutation(x.shape[0])
        losses = []
        for start in range(0, x.shape[0], batch):
            idx = order[start:start + batch]
            loss, grads = loss_grad(tuple(current), activation, x[idx], t[idx], l2)
            losses.append(loss)
            current = opt.step(current, grads)
        train_hist.append(float(np.mean(losses)))
        if not all(np.all(np.isfinite(p)) for p in current):
            raise ValueError("learning_rate: training diverged (non-finite parameters); "
                             "use a smaller learning rate")
        if validation is None:
            continue
        val_hist.append(loss_grad(tuple(current), activation, *validation, 0.0, grad=False)[0])
        if val_hist[-1] < best_val:
            best, best_val, best_epoch = tuple(current), val_hist[-1], epoch
        elif patience is not None and epoch - best_epoch >= patience:
            return best, train_hist, val_hist, best_epoch, True
    if patience is None:
        best, best_epoch = tuple(current), epochs
    return best, train_hist, val_hist, best_epoch, False
