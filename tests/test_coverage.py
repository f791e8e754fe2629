"""The coverage list (docs/COVERAGE.md, the project's list of what funcad differentiates)
and the code cannot drift: every entry must have a funcad implementation reachable through
NumPy's protocols and through funcad's namespace, and must be exercised by a test."""
import pathlib
import re

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

import funcad
import funcad.numpy as fnp
import funcad.scipy as fsp
from funcad.rules.registry import FUNCTIONS, UFUNCS

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEXT = (ROOT / "docs" / "COVERAGE.md").read_text()
SECTIONS = {s.splitlines()[0]: s for s in re.split(r"^## ", TEXT, flags=re.M)[1:]}
TESTS = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_coverage.py")


def names(section):
    return sorted(set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", SECTIONS[section])))


MODULES = {
    "numpy": (np, fnp), "numpy.linalg": (np.linalg, fnp.linalg), "numpy.fft": (np.fft, fnp.fft),
    "scipy.special": (scipy.special, fsp.special), "scipy.linalg": (scipy.linalg, fsp.linalg),
    "scipy.signal": (scipy.signal, fsp.signal), "scipy.integrate": (scipy.integrate, fsp.integrate),
}
ENTRIES = [(sec, n) for sec in MODULES for n in names(sec)]


# NumPy's protocols cannot intercept building an array from a list: funcad.numpy's own.
ONLY_THROUGH_FUNCAD = {"array", "asarray"}


def aliases(mod, obj):
    """Every name under which ``mod`` exposes ``obj`` (np.acos is np.arccos)."""
    return {n for n in dir(mod) if not n.startswith("_") and getattr(mod, n, None) is obj}


@pytest.mark.parametrize("section, name", ENTRIES, ids=[f"{s}.{n}" for s, n in ENTRIES])
def test_every_entry_has_an_implementation_and_a_test(section, name):
    mod, fmod = MODULES[section]
    orig = getattr(mod, name)
    impl = getattr(fmod, name)
    if section.startswith("numpy") and name not in ONLY_THROUGH_FUNCAD:
        # reachable from plain NumPy calls through the dispatch protocols
        assert orig in FUNCTIONS or orig in UFUNCS, f"{section}.{name} is not registered"
    assert impl is not orig, f"funcad's {section}.{name} falls through to the original"
    assert any(re.search(rf"\b{a}\b", TESTS) for a in aliases(mod, orig) | {name}), \
        f"no test mentions {section}.{name}"


STATS = re.findall(r"`(\w+)`: ((?:``\w+``(?:, )?)+)", SECTIONS["scipy.stats"])


@pytest.mark.parametrize("dist, methods", STATS, ids=[d for d, _ in STATS])
def test_every_distribution_method_exists(dist, methods):
    d = getattr(fsp.stats, dist)
    for m in re.findall(r"``(\w+)``", methods):
        assert callable(getattr(d, m)), f"funcad.scipy.stats.{dist}.{m} missing"
        assert re.search(rf"\b{dist}\b", TESTS) and re.search(rf"\b{m}\b", TESTS)


NONDIFF = [n for n in names("Non-differentiable: pass through with zero derivative")
           if hasattr(np, n) and n not in ("random",)]


@pytest.mark.parametrize("name", NONDIFF)
def test_non_differentiable_functions_pass_through(name):
    orig = getattr(np, name)
    assert orig in FUNCTIONS or orig in UFUNCS, f"numpy.{name} does not pass through tracing"
