"""numpy.fft rules: linear maps and their (conjugate) transposes, every norm, n/s, axes."""
import warnings

import numpy as np
import pytest

import funcad
import funcad.numpy.fft as ffft
from funcad.testing import check_grads

rng = np.random.default_rng(2)
X = rng.normal(size=(3, 4))
Z = X + 1j * rng.normal(size=(3, 4))
F = np.fft
NORMS = [None, "ortho", "forward"]


def traced(f, *args):
    return funcad.func.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]


def assert_like_numpy(f, x):
    out, ref = traced(f, x), f(x)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def check_complex(f, z):
    """A function of complex input: check_grads in both modes (it splits ``z`` into real
    coordinates), and torch's convention for the gradient of a real loss (``grad`` gives
    ``dL/dRe + i dL/dIm``)."""
    check_grads(f, (z,))
    y0 = f(z)
    w = (np.arange(y0.size).reshape(y0.shape) + 1.0) / y0.size

    def loss(z):
        y = f(z)
        return np.sum(w * np.real(y * np.conj(y))) + np.sum(w * np.imag(y))

    g = funcad.grad(loss)(z)
    d_re = funcad.jacfwd(lambda re: loss(re + 1j * z.imag))(z.real)
    d_im = funcad.jacfwd(lambda im: loss(z.real + 1j * im))(z.imag)
    np.testing.assert_allclose(g, d_re + 1j * d_im, rtol=1e-10, atol=1e-12)


ONE_AXIS = {
    "fft": lambda x, norm: F.fft(x, norm=norm),
    "fft n pad axis0": lambda x, norm: F.fft(x, n=5, axis=0, norm=norm),
    "fft n crop": lambda x, norm: F.fft(x, n=3, norm=norm),
    "ifft": lambda x, norm: F.ifft(x, n=6, axis=-2, norm=norm),
    "rfft": lambda x, norm: F.rfft(x, norm=norm),
    "rfft n odd axis0": lambda x, norm: F.rfft(x, n=5, axis=0, norm=norm),
    "rfft n crop": lambda x, norm: F.rfft(x, n=2, norm=norm),
    "irfft": lambda x, norm: F.irfft(x, norm=norm),
    "irfft n odd": lambda x, norm: F.irfft(x, n=5, norm=norm),
    "irfft n crop": lambda x, norm: F.irfft(x, n=2, norm=norm),
    "irfft n pad axis0": lambda x, norm: F.irfft(x, n=9, axis=0, norm=norm),
    "hfft": lambda x, norm: F.hfft(x, norm=norm),
    "ihfft": lambda x, norm: F.ihfft(x, n=5, norm=norm),
}
MANY_AXES = {
    "fft2": lambda x, norm: F.fft2(x, norm=norm),
    "ifft2 s": lambda x, norm: F.ifft2(x, s=(2, 5), norm=norm),
    "fftn axes": lambda x, norm: F.fftn(x, axes=(0,), norm=norm),
    "ifftn": lambda x, norm: F.ifftn(x, norm=norm),
    "rfftn": lambda x, norm: F.rfftn(x, norm=norm),
    "rfft2 s": lambda x, norm: F.rfft2(x, s=(4, 5), norm=norm),
    "rfftn axes": lambda x, norm: F.rfftn(x, axes=(1, 0), norm=norm),
    "irfftn": lambda x, norm: F.irfftn(x, norm=norm),
    "irfft2 s": lambda x, norm: F.irfft2(x, s=(2, 3), norm=norm),
    "irfftn s=-1": lambda x, norm: F.irfftn(x, s=(-1, 5), axes=(0, 1), norm=norm),
}
ALL = {**ONE_AXIS, **MANY_AXES}


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", list(ALL))
def test_real_input(name, norm):
    """Real input: values as NumPy's; the real and imaginary parts of the output (real
    functions of a real input) checked in both modes to order 2."""
    f = lambda x: ALL[name](x, norm)
    assert_like_numpy(f, X)
    y = f(X)
    if np.iscomplexobj(y):
        check_grads(lambda x: np.real(f(x)), (X,))
        check_grads(lambda x: np.imag(f(x)), (X,))
    else:
        check_grads(f, (X,))


@pytest.mark.parametrize("norm", [None, "forward"])   # every norm: test_vjp_is_conjugate_transpose
@pytest.mark.parametrize("name", [n for n in ALL if not n.startswith(("rfft", "ihfft"))])
def test_complex_input(name, norm):
    f = lambda z: ALL[name](z, norm)
    assert_like_numpy(f, Z)
    check_complex(f, Z)


def test_vjp_is_conjugate_transpose():
    """<A x, g> = <x, A^H g> for every transform (the adjoint identity, exactly)."""
    for name, fn in ALL.items():
        for norm in NORMS:
            x = Z if not name.startswith(("rfft", "ihfft")) else X
            y, pull = funcad.func.vjp(lambda x: fn(x, norm), x)
            g = rng.normal(size=y.shape) + (1j * rng.normal(size=y.shape) if np.iscomplexobj(y) else 0)
            (c,) = pull(g)
            t = rng.normal(size=x.shape) + (1j * rng.normal(size=x.shape) if np.iscomplexobj(x) else 0)
            _, jt = funcad.func.jvp(lambda x: fn(x, norm), (x,), (t,))
            lhs = np.real(np.vdot(g, jt))   # real inner product <g, J t>
            rhs = np.real(np.vdot(c, t))    # <J^T g, t>
            assert np.isclose(lhs, rhs, rtol=1e-10), (name, norm)


def test_hermitian_weighting_of_irfft():
    """irfft reads the imaginary parts of DC and Nyquist as 0: their derivative is 0."""
    y = Z[0, :3]   # n = 4: DC at 0, Nyquist at 2
    g = funcad.grad(lambda y: np.sum(F.irfft(y) * np.arange(4.0)))(y)
    assert g[0].imag == 0 and g[2].imag == 0 and g[1].imag != 0


@pytest.mark.parametrize("f", [F.fftshift, F.ifftshift, lambda x: F.fftshift(x, axes=0),
                               lambda x: F.ifftshift(x, axes=(-1,)), lambda x: F.fftshift(x[0])])
def test_shifts(f):
    x = rng.normal(size=(3, 5))
    assert_like_numpy(f, x)
    check_grads(f, (x,))
    check_complex(f, x + 1j * x[::-1])


def test_float32_dtypes():
    x = X.astype(np.float32)
    for f in (F.fft, F.rfft, F.fft2, F.rfftn, F.fftshift, lambda x: F.irfft(x, n=4),
              lambda x: F.ifft(x, norm="ortho")):
        out = traced(f, x)
        assert out.dtype == f(x).dtype and out.dtype in (np.float32, np.complex64)
        g = funcad.grad(lambda x: np.sum(np.abs(f(x)) ** 2))(x)
        assert g.dtype == np.float32
        check_grads(lambda x: np.real(f(x)), (x,), order=1)
    z = Z.astype(np.complex64)
    assert traced(F.irfft, z).dtype == np.float32
    assert funcad.grad(lambda z: np.sum(F.irfft(z)))(z).dtype == np.complex64


def test_namespace_and_errors():
    for name in ("fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfft2",
                 "irfft2", "rfftn", "irfftn", "fftshift", "ifftshift", "hfft", "ihfft"):
        assert getattr(ffft, name) is funcad.rules.registry.FUNCTIONS[getattr(F, name)], name
    check_grads(lambda x: np.real(ffft.fft(x)) + ffft.irfft(x[:, :3], n=4), (X,))
    with pytest.raises(ValueError, match="norm"):
        funcad.grad(lambda x: np.sum(np.real(F.fft(x, norm="bogus"))))(X)
    with pytest.raises(NotImplementedError, match="out="):
        funcad.grad(lambda x: np.sum(np.real(F.fft(x, out=np.zeros(4, complex)))))(X[0])
    with pytest.raises(np.exceptions.AxisError):
        funcad.grad(lambda x: np.sum(np.real(F.fft(x, axis=2))))(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.allclose(traced(lambda x: F.fftn(x, s=(2, 3), axes=(0, 1)), X), F.fftn(X, s=(2, 3), axes=(0, 1)))
