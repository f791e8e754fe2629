"""PyTorch's tutorial "The Fundamentals of Autograd", redone in funcad.

torch records a graph on tensors that ``requires_grad`` and fills ``.grad`` on
``backward()``; funcad differentiates functions instead. Each section of the tutorial has
its functional counterpart here, with the answer checked:

1. a = linspace(0, 2 pi, 25); b = sin(a); c = 2 b; d = c + 1; out = d.sum() - and the plot;
2. walking ``grad_fn.next_functions``      -> ``funcad.trace(f, a)``, its nodes and parents;
3. ``out.backward(); a.grad``               -> ``funcad.func.grad(f)(a)`` (= 2 cos a);
4. one SGD step on TinyModel               -> ``grad`` of a loss of a dict of weights;
5. ``detach`` / ``no_grad``                 -> ``funcad.stop_gradient``;
6. the autograd profiler                   -> ``with funcad.profile() as prof``;
7. ``autograd.functional.jacobian(exp_adder, inputs)`` -> ``funcad.jacobian``, same call;
8. ``y.backward(v)`` on do_some_doubling    -> ``funcad.vjp(do_some_doubling, x, v)``.

Run:  python examples/pytorch_tutorial.py [--fast]
"""
import shutil

import numpy as np

import funcad
from _support import fast_mode, out_dir, save_plot

rng = np.random.default_rng(0)

# 1. A simple example ----------------------------------------------------------------
a = np.linspace(0.0, 2.0 * np.pi, 25)          # no requires_grad: every input is differentiable


def f(a):
    b = np.sin(a)
    c = 2 * b
    d = c + 1
    return d.sum()                              # out


print("out =", f(a))

# 2. The graph: torch's d.grad_fn.next_functions... walk, as a traced graph ---------------
graph = funcad.trace(f, a)
print("\nthe graph, output first (torch: out.grad_fn, then .next_functions[0][0] ...):")
node = graph.output
while True:
    print(f"  {node.name:<9} shape={node.shape} dtype={node.dtype}")
    if not node.parents:
        break
    node = node.parents[0]
names = [n.name for n in graph.nodes]
print("topological order:", names)
assert names == ["input", "sin", "multiply", "add", "sum"], names
assert graph.output.parents[0].parents[0].name == "multiply"
print("\nGraphviz source (graph.to_dot()):\n" + graph.to_dot())
if shutil.which("dot"):
    print("graph drawn:", graph.render(str(out_dir() / "pytorch_tutorial_graph.svg")))
else:
    print("graph not drawn: Graphviz `dot` is not installed (apt-get install graphviz)")

# 3. out.backward(); a.grad ---------------------------------------------------------------
a_grad = funcad.func.grad(f)(a)
print("\na.grad =", np.round(a_grad, 4))
assert np.allclose(a_grad, 2 * np.cos(a), rtol=0, atol=1e-15)   # d/da sum(2 sin a + 1)

# 4. Autograd in training: TinyModel, one SGD step ---------------------------------------------
BATCH, DIM_IN, HIDDEN, DIM_OUT = 16, 1000, 100, 10
some_input = rng.normal(size=(BATCH, DIM_IN))
ideal_output = rng.normal(size=(BATCH, DIM_OUT))
model = {"W1": rng.uniform(-1, 1, (DIM_IN, HIDDEN)) / np.sqrt(DIM_IN), "b1": np.zeros(HIDDEN),
         "W2": rng.uniform(-1, 1, (HIDDEN, DIM_OUT)) / np.sqrt(HIDDEN), "b2": np.zeros(DIM_OUT)}


def tiny_model(p, x):
    return np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]     # Linear, ReLU, Linear


def loss_fn(p):
    return np.sum((ideal_output - tiny_model(p, some_input)) ** 2)


grads, loss = funcad.func.grad_and_value(loss_fn)(model)   # loss.backward(): a fresh dict,
model_after = {k: model[k] - 0.001 * grads[k] for k in model}  # nothing to zero_grad()
print(f"\nTinyModel: loss {loss:.2f} -> {loss_fn(model_after):.2f} after one SGD step (lr=0.001)")
print("layer2 weight grad[0][:5]:", np.round(grads["W2"][0, :5], 4))
assert loss_fn(model_after) < loss

# 5. Turning autograd off: detach / no_grad -> stop_gradient ---------------------------------
x = rng.random(5)
g = funcad.func.grad(lambda x: np.sum(x * funcad.stop_gradient(x)))(x)
assert np.allclose(g, x)               # the stopped factor is a constant: d/dx (x * c) = c = x
print("\nd/dx sum(x * stop_gradient(x)) = x:", np.round(g, 4))

# 6. The profiler ------------------------------------------------------------------------------
# (x and y near 1, so that 1000 rounds of z -> z / x * y neither overflow nor underflow)
LOOPS = 200 if fast_mode() else 1000
x, y, z0 = rng.uniform(0.99, 1.01, (2, 3)), rng.uniform(0.99, 1.01, (2, 3)), np.ones((2, 3))


def divide_multiply(z):
    for _ in range(LOOPS):
        z = (z / x) * y
    return z.sum()


with funcad.profile() as prof:
    dz = funcad.func.grad(divide_multiply)(z0)
print(f"\nprofile of the gradient of {LOOPS} rounds of z = (z / x) * y:")
print(prof.table(sort_by="self_time"))
assert prof.stats["divide"]["forward"].count == LOOPS
assert prof.stats["divide"]["backward"].count == LOOPS
assert np.allclose(dz, (y / x) ** LOOPS)

# 7. The high-level API: jacobian of exp_adder ---------------------------------------------------


def exp_adder(x, y):
    return 2 * np.exp(x) + 3 * y


for n in (1, 3):
    inputs = (rng.random(n), rng.random(n))
    jac = funcad.jacobian(exp_adder, inputs)
    print(f"\njacobian(exp_adder, inputs of size {n}):", jac)
    assert np.allclose(jac[0], np.diag(2 * np.exp(inputs[0])))   # d/dx = 2 e^x
    assert np.allclose(jac[1], 3 * np.eye(n))                    # d/dy = 3

# 8. backward(v) / functional.vjp on do_some_doubling (data-dependent loop) ----------------------


def do_some_doubling(x):
    y = x * 2
    while np.linalg.norm(y) < 1000:    # comparisons on traced values give plain booleans
        y = y * 2
    return y


inputs = rng.normal(size=3)
my_gradients = np.array([0.1, 1.0, 0.0001])
y, vjp = funcad.vjp(do_some_doubling, inputs, v=my_gradients)
doublings = round(np.log2(np.linalg.norm(y) / np.linalg.norm(inputs)))
print(f"\nvjp(do_some_doubling, x, v) = {vjp}  (x doubled {doublings} times)")
assert np.allclose(vjp, 2.0 ** doublings * my_gradients)
print("\ncheck passed: every answer of the tutorial reproduced")


def draw(plt):
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(a, np.sin(a), "o-", ms=3, label="b = sin(a)")
    ax.plot(a, a_grad, "s-", ms=3, label="a.grad = d out / d a = 2 cos(a)")
    ax.set(xlabel="a", title="The autograd tutorial's sin / cos plot, from funcad")
    ax.legend()
    return fig


save_plot("pytorch_tutorial.png", draw)
