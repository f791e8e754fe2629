"""Shared test configuration: Hypothesis profiles.

* ``ci`` (the default): deterministic (``derandomize=True``: the same examples on every run
  and machine), bounded (50 examples per property unless a test says otherwise), no
  deadline (timings vary on a shared machine), no example database.
* ``thorough``: random, 20 times more examples, for local runs:
  ``python -m pytest --hypothesis-profile=thorough tests/test_programs.py``.

Tests that scale their own example counts read ``settings.default.max_examples`` (the
chosen profile's) at import, which happens after the profile is loaded.
"""
import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None, database=None,
                          print_blob=True, suppress_health_check=_QUIET)
settings.register_profile("thorough", derandomize=False, max_examples=1000, deadline=None,
                          print_blob=True, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("FUNCAD_HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter):
    """Say how many random programs tests/test_programs.py checked (and in which profile)."""
    import sys
    for name, mod in list(sys.modules.items()):
        if name.endswith("test_programs") and getattr(mod, "PROGRAMS_CHECKED", 0):
            terminalreporter.write_line(f"funcad: {mod.PROGRAMS_CHECKED} random programs checked against finite "
                                        f"differences (Hypothesis profile {settings._current_profile!r})")
