"""funcad: automatic differentiation for plain NumPy code, as pure-function transforms.

``funcad.vjp / jvp / jacobian / hessian / hvp / vhp`` follow torch.autograd.functional;
``funcad.func`` holds torch.func-style transforms that compose to any order.
"""
from . import numpy  # noqa: F401  (installs NumPy's protocols on traced values)
from .core import Dual
from .custom import defjvp, defvjp, detach, primitive, stop_gradient
from . import func, functional
from .functional import hessian, hvp, jacobian, jvp, vhp, vjp
from .func import grad, grad_and_value, jacfwd, jacrev
from .inspection import profile, trace

__version__ = "0.1.0"

__all__ = ["Dual", "primitive", "defvjp", "defjvp", "stop_gradient", "detach", "func",
           "functional", "vjp", "jvp", "jacobian", "hessian", "hvp", "vhp", "grad",
           "grad_and_value", "jacrev", "jacfwd", "trace", "profile"]
