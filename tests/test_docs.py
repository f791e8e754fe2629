"""The docs cannot drift from the code.

1. Every ```python block in README.md and docs/*.md runs. The blocks of one file run in
   order in one namespace (a later block may use what an earlier one defined). A block is
   skipped only when the line just before its opening fence is ``<!-- no-run -->`` (for
   signature listings); other languages (```bash, ```dot, ```text) are not run.
2. Every doctest in funcad's modules passes (``python -m doctest`` on each module, with
   ELLIPSIS and NORMALIZE_WHITESPACE).
"""
from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
import traceback
from pathlib import Path

import pytest

import funcad

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NO_RUN = "<!-- no-run -->"
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^\n]*$")


def python_blocks(text: str) -> list[tuple[int, str, bool]]:
    """The ```python blocks of a Markdown text: (line of the opening fence, code, run?)."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        j = i + 1
        while j < len(lines) and not (lines[j].strip().startswith(fence)
                                      and lines[j].strip().strip(fence[0]) == ""):
            j += 1
        if j == len(lines):
            raise ValueError(f"unclosed code fence opened on line {i + 1}")
        if lang.lower() in ("python", "py", "python3"):
            body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip()
                    for ln in lines[i + 1:j]]
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            run = not (k >= 0 and lines[k].strip() == NO_RUN)
            blocks.append((i + 1, "\n".join(body) + "\n", run))
        i = j + 1
    return blocks


def test_block_extraction():
    text = ("# t\n```python\nx = 1\n```\n\n<!-- no-run -->\n```python\nf(x, y)\n```\n"
            "```bash\nls\n```\n  ```py\n  y = x + 1\n  ```\n")
    assert python_blocks(text) == [(2, "x = 1\n", True), (7, "f(x, y)\n", False),
                                   (13, "y = x + 1\n", True)]


def test_doc_files_exist():
    names = {p.name for p in DOC_FILES}
    assert {"README.md", "index.md", "guide.md"} <= names, names
    guide = python_blocks((ROOT / "docs" / "guide.md").read_text())
    assert sum(run for _, _, run in guide) >= 10, "the guide should show its code, and run it"


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_snippets_run(path, tmp_path, monkeypatch):
    """Run the file's python blocks in order, in one namespace, in a scratch folder."""
    monkeypatch.chdir(tmp_path)                  # a snippet that writes a file writes it here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    blocks = python_blocks(path.read_text())
    namespace = {"__name__": "__docs__"}
    for line, code, run in blocks:
        if not run:
            continue
        where = f"{path.relative_to(ROOT)}:{line}"
        error = None
        try:
            # padded so that tracebacks give the line numbers of the Markdown file
            exec(compile("\n" * line + code, str(path.relative_to(ROOT)), "exec"), namespace)
        except Exception as exc:                 # report the snippet's frames, not ours
            error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
        if error:
            pytest.fail(f"the python block at {where} failed:\n{code}\n{error}",
                        pytrace=False)


def _modules():
    names = ["funcad"]
    for m in pkgutil.walk_packages(funcad.__path__, "funcad."):
        if not m.name.endswith("__main__"):      # running it would start the command line
            names.append(m.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_doctests(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:           # an optional dependency (e.g. Hypothesis)
        if (exc.name or "funcad").split(".")[0] == "funcad":
            raise
        pytest.skip(f"{name} needs {exc.name}, which is not installed")
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    if not tests:
        return
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    cwd = os.getcwd()
    try:
        for t in sorted(tests, key=lambda t: t.name):
            runner.run(t, out=report.append)
    finally:
        os.chdir(cwd)
    assert runner.failures == 0, "".join(report)
