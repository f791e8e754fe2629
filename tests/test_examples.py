"""Every script in examples/ runs, in fast mode and without a display, and checks its answer.

Each example is run as a user would run it (``python examples/NAME.py --fast``, in a
subprocess), two at a time, with plots going to a temporary folder. A script passes when it
exits 0 and prints "check passed" (the quickstart: "agree"). With matplotlib installed its
PNG must exist; without it, the script must say the plot was skipped.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# scripts: not the shared helper (_support.py), not pytest files (test_*.py)
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py")
                 if not p.name.startswith(("_", "test_")))
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
TIMEOUT = 240  # seconds for one script; the whole set takes well under a minute


def _run(args, out, cwd):
    env = dict(os.environ, FUNCAD_EXAMPLES_FAST="1", FUNCAD_EXAMPLES_OUT=str(out),
               MPLBACKEND="Agg", PYTHONWARNINGS="error::RuntimeWarning")
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every example (two at a time, for a 2-core machine); futures by name."""
    out = tmp_path_factory.mktemp("examples_out")
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {name: pool.submit(_run, [str(EXAMPLES / name), "--fast"], out, EXAMPLES.parent)
               for name in SCRIPTS}
    yield futures, out
    pool.shutdown(wait=True, cancel_futures=True)


def test_examples_exist():
    assert "quickstart.py" in SCRIPTS and len(SCRIPTS) >= 9, SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs(name, runs):
    futures, out = runs
    proc = futures[name].result()
    report = f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, f"{name} failed\n{report}"
    assert "check passed" in proc.stdout or "agree" in proc.stdout, report
    source = (EXAMPLES / name).read_text()
    if "save_plot(" in source:
        png = source.split('save_plot("')[1].split('"')[0]
        if HAS_MATPLOTLIB:
            assert (out / png).stat().st_size > 1000, report
        else:
            assert "plot skipped" in proc.stdout, report


def test_example_runs_without_matplotlib(tmp_path):
    """Hide matplotlib (even where it is installed): the example still checks its answer."""
    code = ("import runpy, sys; sys.modules['matplotlib'] = None; "
            f"sys.path.insert(0, {str(EXAMPLES)!r}); sys.argv = ['newton_system.py', '--fast']; "
            f"runpy.run_path({str(EXAMPLES / 'newton_system.py')!r}, run_name='__main__')")
    proc = _run(["-c", code], tmp_path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "check passed" in proc.stdout and "plot skipped" in proc.stdout, proc.stdout
    assert not list(tmp_path.glob("*.png"))
