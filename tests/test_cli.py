"""``funcad check``: hand-derived derivatives against funcad's and finite differences, with
exit status 0 (agree), 1 (disagree), 2 (bad usage, message on stderr)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from funcad.cli import main

MODULE = textwrap.dedent('''
    import numpy as np

    def f(x):
        return np.sum(x ** 2) + np.sin(x[0])

    def df(x):
        g = 2 * x
        g[0] += np.cos(x[0])
        return g

    def df_forgot_sin(x):
        return 2 * x

    def df_wrong_shape(x):
        return 2 * x[:1]

    def df_raises(x):
        raise ZeroDivisionError("oops")

    def hf(x):
        h = 2 * np.eye(x.size)
        h[0, 0] -= np.sin(x[0])
        return h

    def loss(w, b):
        return np.sum((w * 2.0 + b) ** 2)

    def dloss(w, b):
        r = 2 * (w * 2.0 + b)
        return 2 * r, np.sum(r)

    def hloss(w, b):
        n = w.size
        return ((8 * np.eye(n), 4 * np.ones(n)), (4 * np.ones(n), np.array(2.0 * n)))

    def layer(x):
        return np.tanh(x)

    def jlayer(x):
        return np.diag(1 - np.tanh(x) ** 2)

    def jlayer_transposed_bug(x):
        return np.diag(1 - np.tanh(x) ** 2) + np.triu(np.ones((x.size, x.size)), 1)

    def uses_third(x):
        return x[2] ** 2

    not_a_function = 3
''')


@pytest.fixture
def mod(tmp_path):
    path = tmp_path / "mymodule.py"
    path.write_text(MODULE)
    return str(path)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_agreeing_gradient_exits_0_with_a_table(mod, capsys):
    code, out, err = run(capsys, "check", f"{mod}:f", "--grad", f"{mod}:df", "--at", "[1.0, 2.0]")
    assert code == 0, out + err
    assert "hand-written" in out and "funcad" in out and "finite differences" in out
    assert "x[0]" in out and "2.540302306" in out and "OK: all agree" in out
    assert err == ""


def test_wrong_gradient_exits_1_and_points_at_the_entry(mod, capsys):
    code, out, _ = run(capsys, "check", f"{mod}:f", "--grad", "df_forgot_sin", "--at", "[1.0, 2.0]")
    assert code == 1
    assert "<<< worst" in out and "DISAGREE" in out
    assert "the hand-written gradient is wrong at [x[0]]" in out
    assert "funcad and finite differences agree on 2.540302306" in out


def test_hessian_jacobian_and_several_arguments(mod, capsys):
    assert run(capsys, "check", f"{mod}:f", "--grad", "df", "--hessian", "hf", "--at", "[0.5, -1.0, 2.0]")[0] == 0
    code, out, _ = run(capsys, "check", f"{mod}:loss", "--grad", "dloss", "--hessian", "hloss",
                       "--at", '{"w": [0.5, -1.0], "b": 0.1}')
    assert code == 0, out
    assert "w[1]" in out and "b" in out
    assert run(capsys, "check", f"{mod}:loss", "--grad", "dloss", "--at", "[[0.5, -1.0], 0.1]")[0] == 0
    assert run(capsys, "check", f"{mod}:layer", "--jacobian", "jlayer", "--at", "[0.5, -1.0, 0.2]")[0] == 0
    code, out, _ = run(capsys, "check", f"{mod}:layer", "--jacobian", "jlayer_transposed_bug", "--at", "[0.5, -1.0]")
    assert code == 1 and "out[0] / x[1]" in out


def test_without_a_hand_derivative_funcad_is_checked(mod, capsys):
    code, out, _ = run(capsys, "check", f"{mod}:layer", "--at", "[0.5, -1.0]")
    assert code == 0 and "jacobian" in out and "hand-written" not in out


def test_random_points_are_reproducible(mod, capsys):
    code, out1, _ = run(capsys, "check", f"{mod}:f", "--grad", "df", "--random", "3", "--shape", "4", "--seed", "7")
    assert code == 0 and "point 3 of 3" in out1
    _, out2, _ = run(capsys, "check", f"{mod}:f", "--grad", "df", "--random", "3", "--shape", "4", "--seed", "7")
    assert out1 == out2
    code, out, _ = run(capsys, "check", f"{mod}:loss", "--grad", "dloss", "--random", "2", "--shape", "3",
                       "--shape", "scalar", "--domain", "positive")
    assert code == 0, out
    code, out, _ = run(capsys, "check", f"{mod}:f", "--grad", "df_forgot_sin", "--random", "4", "--shape", "2")
    assert code == 1 and "disagreement at 4 of 4 point(s)" in out


def test_json_output_for_autograders(mod, capsys):
    code, out, _ = run(capsys, "check", f"{mod}:f", "--grad", "df_forgot_sin", "--at", "[1.0, 2.0]", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False and doc["function"] == "mymodule.py:f"
    check = doc["points"][0]["checks"][0]
    assert check["quantity"] == "gradient" and check["ok"] is False
    assert check["worst"]["entry"] == "x[0]" and check["worst"]["hand"] == 2.0
    assert abs(check["worst"]["funcad"] - 2.5403023058681398) < 1e-12
    assert len(check["finite_differences"]) == 1 and len(check["fd_error_estimate"][0]) == 2
    code, out, _ = run(capsys, "check", f"{mod}:f", "--grad", "df", "--at", "[1.0, 2.0]", "--json")
    assert code == 0 and json.loads(out)["points"][0]["point"] == {"x": [1.0, 2.0]}


def test_broken_hand_derivatives_are_disagreements(mod, capsys):
    code, out, _ = run(capsys, "check", f"{mod}:f", "--grad", "df_wrong_shape", "--at", "[1.0, 2.0]")
    assert code == 1 and "wrong shape" in out and "expected (2,)" in out
    code, out, _ = run(capsys, "check", f"{mod}:f", "--grad", "df_raises", "--at", "[1.0, 2.0]")
    assert code == 1 and "raised ZeroDivisionError: oops" in out


def test_tolerances(mod, capsys):
    code, _, _ = run(capsys, "check", f"{mod}:f", "--grad", "df_forgot_sin", "--at", "[1.0, 2.0]", "--atol", "1.0")
    assert code == 0


@pytest.mark.parametrize("argv, message", [
    (["check", "nofile.py:f", "--at", "1"], "file not found"),
    (["check", "{mod}:nope", "--at", "1"], "has no function 'nope' (it defines: df, df_forgot_sin"),
    (["check", "{mod}:not_a_function", "--at", "1"], "not a function"),
    (["check", "{mod}:f", "--grad", "missing_df", "--at", "[1.0]"], "--grad: mymodule.py has no function"),
    (["check", "{mod}:f", "--at", "[1.0,"], "not valid JSON"),
    (["check", "{mod}:f"], "give the point with --at"),
    (["check", "{mod}:f", "--at", "[1.0]", "--random", "2"], "either --at or --random"),
    (["check", "{mod}:uses_third", "--at", "[1.0, 2.0]"], "check the point's shape (x: (2,))"),
    (["check", "{mod}:loss", "--at", "[1.0, 2.0, 3.0]"], "must be a list of 2 values"),
    (["check", "{mod}:loss", "--at", '{"w": 1.0}'], "missing ['b']"),
    (["check", "{mod}:layer", "--grad", "df", "--at", "[1.0, 2.0]"], "needs a function returning a scalar"),
    (["check", "{mod}:loss", "--random", "1", "--shape", "3"], "one --shape per argument"),
    (["check", "{mod}:f", "--random", "1", "--shape", "a,b"], "--shape: expected integers"),
    (["check", "{mod}:f", "--random", "1", "--domain", "complex"], "--domain: unknown domain"),
    (["check", "{mod}:f", "--at", '["a", "b"]'], "must be a number or a (nested, rectangular) list"),
    (["check", "f_without_file", "--at", "1"], "expected FILE.py:NAME"),
])
def test_bad_usage_exits_2_with_a_message(mod, capsys, argv, message):
    code, out, err = run(capsys, *[a.replace("{mod}", mod) for a in argv])
    assert code == 2
    assert message in err and err.startswith("funcad check: error: ")
    assert out == ""


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["check", "--bogus"])
    assert e.value.code == 2
    assert main([]) == 2


def test_module_imports_its_neighbours(tmp_path, capsys):
    (tmp_path / "helper.py").write_text("def square(x):\n    return x * x\n")
    (tmp_path / "uses.py").write_text("import numpy as np\nfrom helper import square\n"
                                      "def f(x):\n    return np.sum(square(x))\ndef df(x):\n    return 2 * x\n")
    assert run(capsys, "check", f"{tmp_path}/uses.py:f", "--grad", "df", "--at", "[1.0, 3.0]")[0] == 0
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    code, _, err = run(capsys, "check", f"{tmp_path}/broken.py:f", "--at", "1")
    assert code == 2 and "boom" in err


@pytest.mark.parametrize("command", [[sys.executable, "-m", "funcad"], ["funcad"]], ids=["python -m funcad", "script"])
def test_command_line_entry_points(mod, command):
    if command == ["funcad"]:
        exe = shutil.which("funcad")
        assert exe, "the funcad script is not installed (pip install -e . declares it in pyproject.toml)"
        command = [exe]
    env = {**os.environ, "NO_COLOR": "1"}
    ok = subprocess.run(command + ["check", f"{mod}:f", "--grad", "df", "--at", "[1.0, 2.0]"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run(command + ["check", f"{mod}:f", "--grad", "df_forgot_sin", "--at", "[1.0, 2.0]"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and "DISAGREE" in bad.stdout
    usage = subprocess.run(command + ["check", "missing.py:f", "--at", "1"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert usage.returncode == 2 and "file not found" in usage.stderr
