"""funcad.trace (the recorded graph) and funcad.profile (per-primitive timings)."""
import numpy as np
import pytest

import funcad


def test_trace_walks_like_grad_fn():
    g = funcad.trace(lambda a: 2 * np.sin(a) + 1, np.array([0.5, 1.0]))
    assert [n.name for n in g.nodes] == ["input", "sin", "multiply", "add"]
    node, names = g.output, []
    while node.parents:
        names.append(node.name)
        node = node.next_functions[0][0]
    assert names == ["add", "multiply", "sin"] and node.name == "input"
    assert g.output.shape == (2,) and g.output.dtype == np.float64
    assert g.inputs[0] is node


def test_trace_keeps_only_what_the_output_needs_and_handles_constants():
    def f(x, y):
        unused = np.exp(x)  # noqa: F841
        return x * y, np.ones(2)
    g = funcad.trace(f, np.ones(2), np.ones(2))
    assert [n.name for n in g.nodes] == ["input", "input", "multiply", "constant"]
    assert g.output[1].name == "constant"


def test_to_dot_and_node_limit():
    def chain(x):
        for _ in range(50):
            x = np.sin(x)
        return x
    g = funcad.trace(chain, np.array(0.1))
    dot = g.to_dot()
    assert dot.startswith("digraph") and dot.count("->") == 50
    small = g.to_dot(max_nodes=10)
    assert "41 earlier nodes not drawn" in small


def test_render_without_graphviz_says_how_to_install(monkeypatch, tmp_path):
    import funcad.inspection.graph as G
    monkeypatch.setattr(G.shutil, "which", lambda name: None)
    g = funcad.trace(np.sin, np.array(0.1))
    with pytest.raises(RuntimeError, match="install graphviz"):
        g.render(tmp_path / "g.svg")
    with pytest.raises(ValueError, match=".svg, .png or .pdf"):
        g.render(tmp_path / "g.txt")


def test_profile_counts_every_pass():
    with funcad.profile() as prof:
        funcad.func.grad(lambda x: np.sum(np.sin(x) ** 2))(np.ones(3))
        funcad.jvp(np.tanh, np.ones(3), np.ones(3))
    assert prof.stats["sin"]["forward"].count == 1
    assert prof.stats["sin"]["backward"].count == 1
    assert prof.stats["tanh"]["tangent"].count == 1
    assert prof.stats["cos"]["forward"].count == 1          # called by sin's rule
    table = prof.table(sort_by="self_time")
    assert table.splitlines()[0].split()[:2] == ["primitive", "calls"]
    assert "sin" in table and "tanh" in table
    with pytest.raises(ValueError, match="sort_by"):
        prof.table(sort_by="nope")


def test_profile_restores_the_engine_and_rules():
    from funcad.core import Primitive
    from funcad.rules.ufuncs import sin
    before, rules = Primitive.__call__, sin.vjps
    with funcad.profile():
        funcad.func.grad(lambda x: np.sum(np.sin(x)))(np.ones(2))
        with pytest.raises(RuntimeError, match="already active"):
            funcad.profile().__enter__()
    assert Primitive.__call__ is before and sin.vjps is rules


def test_render_calls_graphviz_with_the_format_of_the_path(monkeypatch, tmp_path):
    """The whole render path, with a stand-in for Graphviz's dot that records its call."""
    import sys
    import funcad.inspection.graph as G
    fake = tmp_path / "dot"
    fake.write_text("#!" + sys.executable + "\n"
                    "import sys\n"
                    "out = sys.argv[sys.argv.index('-o') + 1]\n"
                    "open(out, 'w').write(sys.argv[1] + '\\n' + sys.stdin.read())\n")
    fake.chmod(0o755)
    monkeypatch.setattr(G.shutil, "which", lambda name: str(fake))
    g = funcad.trace(lambda a: 2 * np.sin(a) + 1, np.array([0.5]))
    for ext in ("svg", "png", "pdf"):
        path = tmp_path / f"g.{ext}"
        assert g.render(path) == str(path)
        text = path.read_text()
        assert text.startswith(f"-T{ext}\n") and "digraph funcad" in text and "sin" in text
