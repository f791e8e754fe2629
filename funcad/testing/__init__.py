"""Testing tools: the finite-difference oracle (``check_grads``, ``gradcheck``,
``gradgradcheck``) and Hypothesis strategies."""
from .oracle import check_grads, numerical_jacobian  # noqa: F401
