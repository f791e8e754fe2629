from .transforms.functional import vjp, jvp, jacobian, hessian, hvp, vhp  # noqa: F401
