"""A small MLP trained by gradient descent, with ``funcad.func.grad`` over a dict of weights.

A 1 -> 32 -> 32 -> 1 tanh network learns y = sin(3x) + x/2 from 128 points. The parameters
are a dict of arrays (a pytree), and ``grad`` returns a dict of the same shape, so the
update is one line. The gradient is checked against finite differences once
(``funcad.testing.check_grads``), then used for full-batch gradient descent with momentum.

Run:  python examples/mlp.py [--fast]
"""
import numpy as np

import funcad
from funcad.testing import check_grads
from _support import fast_mode, save_plot

STEPS = 300 if fast_mode() else 4000
LR, MOMENTUM = 0.05, 0.9
rng = np.random.default_rng(0)
x = np.linspace(-1.5, 1.5, 128)[:, None]
y = np.sin(3 * x) + 0.5 * x


def init(sizes):
    return {f"{name}{i}": value
            for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]))
            for name, value in [("W", rng.normal(size=(m, n)) / np.sqrt(m)), ("b", np.zeros(n))]}


def predict(params, x):
    h = x
    layers = len(params) // 2
    for i in range(layers):
        h = h @ params[f"W{i}"] + params[f"b{i}"]
        if i < layers - 1:
            h = np.tanh(h)
    return h


def loss(params):
    return np.mean((predict(params, x) - y) ** 2)


params = init([1, 32, 32, 1])
check_grads(loss, (params,), order=1, modes=("rev",))      # raises if the gradient is wrong

grad = funcad.func.grad(loss)
velocity = {k: np.zeros_like(v) for k, v in params.items()}
losses = [loss(params)]
for step in range(STEPS):
    g = grad(params)
    velocity = {k: MOMENTUM * velocity[k] - LR * g[k] for k in params}
    params = {k: params[k] + velocity[k] for k in params}
    losses.append(loss(params))

n_weights = sum(v.size for v in params.values())
print(f"MLP 1-32-32-1 ({n_weights} weights), {STEPS} steps of gradient descent with momentum")
print(f"loss: {losses[0]:.4f} at start, {losses[len(losses) // 10]:.4f} after {STEPS // 10} steps, "
      f"{losses[-1]:.5f} at the end")
target = 2e-2 if fast_mode() else 2e-3
assert losses[-1] < target, f"training did not fit the data (loss {losses[-1]:.4f})"
assert losses[-1] < losses[0] / 20
print(f"check passed: gradient agrees with finite differences, loss fell "
      f"{losses[0] / losses[-1]:.0f}-fold")


def draw(plt):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.semilogy(losses)
    ax1.set(xlabel="step", ylabel="mean squared error", title="Training loss")
    ax2.plot(x, y, ".", ms=3, label="data")
    xs = np.linspace(-1.5, 1.5, 300)[:, None]
    ax2.plot(xs, predict(params, xs), label="MLP")
    ax2.set(xlabel="x", ylabel="y", title="Fit")
    ax2.legend()
    return fig


save_plot("mlp.png", draw)
