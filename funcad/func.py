"""torch.func-style function transforms: ``funcad.func.grad(f)`` etc."""
from .transforms.func import (grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize,  # noqa: F401
                              vjp)

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize"]
