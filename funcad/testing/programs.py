"""Small differentiable programs, as source code with inputs.

A :class:`Program` is a function written as Python source, compiled once, together with the
inputs it was built for (``program.args``). It is its own reproduction: its ``repr`` is code
you can paste, in which ``np`` is NumPy, ``special`` is ``scipy.special``, and ``fsp`` and
``fsl`` are ``funcad.scipy.special`` and ``funcad.scipy.linalg``::

    Program('lambda x0: np.sum(np.log(x0), axis=0)', args=(np.array([0.5, 2.0]),))

``funcad.testing.strategies.programs()`` draws them.
"""
from __future__ import annotations

import inspect
import re

import numpy as np

__all__ = ["Program", "namespace"]


def namespace() -> dict:
    """The names a program's source may use."""
    import scipy.special

    from .. import numpy as fnp
    from ..scipy import linalg as fsl, special as fsp
    return {"np": np, "special": scipy.special, "fsp": fsp, "fsl": fsl, "fnp": fnp}


def _array_repr(a) -> str:
    with np.printoptions(floatmode="unique", threshold=10**6, linewidth=10**6):
        s = repr(np.asarray(a))
    return "np." + s.replace("dtype=float32", "dtype=np.float32")


def _uses(expr: str, name: str) -> int:
    return len(re.findall(rf"\b{re.escape(name)}\b", expr))


class Program:
    """A function given by its source, ``code`` (a ``lambda`` expression, or a ``def`` of
    any name), and the inputs ``args`` it was drawn with. Calling it runs the code;
    ``ops`` names the table rows it was built from (for statistics and tests)."""

    def __init__(self, code: str, args: tuple = (), *, ops: tuple = (), extra: dict | None = None):
        self.code = code.strip("\n") + ("\n" if code.lstrip().startswith("def ") else "")
        self.args = tuple(args)
        self.ops = tuple(ops)
        self.extra = dict(extra or {})
        ns = namespace()
        ns.update(self.extra)
        if self.code.lstrip().startswith("def "):
            exec(compile(self.code, "<funcad program>", "exec"), ns)
            fn = ns[re.match(r"\s*def\s+(\w+)", self.code).group(1)]
        else:
            fn = eval(compile(self.code, "<funcad program>", "eval"), ns)
        self._fn = fn
        self.__name__ = "program"
        self.__signature__ = inspect.signature(fn)

    @classmethod
    def from_steps(cls, params: list[str], steps: list[tuple[str, str]], args: tuple, ops: tuple = (),
                   extra: dict | None = None) -> "Program":
        """A straight-line program: ``steps`` are ``(name, expression)`` pairs using the
        ``params`` and earlier names; the last expression is returned. Written as one
        ``lambda`` when every intermediate is used once, else as a ``def``."""
        if not steps:
            raise ValueError("a program needs at least one step")
        names = [n for n, _ in steps]
        uses = {n: sum(_uses(e, n) for _, e in steps) for n in names[:-1]}
        if all(u <= 1 for u in uses.values()):
            inlined: dict = {}
            for n, e in steps:
                for m, sub in inlined.items():
                    e = re.sub(rf"\b{re.escape(m)}\b", lambda _, s=sub: s, e)
                inlined[n] = e
            code = f"lambda {', '.join(params)}: {inlined[names[-1]]}"
        else:
            body = "".join(f"    {n} = {e}\n" for n, e in steps[:-1])
            code = f"def program({', '.join(params)}):\n{body}    return {steps[-1][1]}\n"
        return cls(code, args, ops=ops, extra=extra)

    def __call__(self, *args):
        return self._fn(*args)

    def __len__(self) -> int:
        """The number of operations it was built from."""
        return len(self.ops)

    def __repr__(self) -> str:
        args = ", ".join(_array_repr(a) for a in self.args) + ("," if len(self.args) == 1 else "")
        code = f'"""{self.code}"""' if "\n" in self.code else repr(self.code)
        return f"Program({code}, args=({args}))"
