"""``numpy.fft``: four linear primitives (``fft``, ``ifft``, ``rfft``, ``irfft`` along one
axis) and their transposes; the n-dimensional transforms and the shifts are compositions.

Complex convention (torch's): the VJP of a linear map ``A`` is ``A^H g``; when the input is
real, its cotangent is the real part of that. ``A^H`` of each transform:

* ``fft`` / ``ifft`` with norm ``N``: ``ifft`` / ``fft`` with the *dual* norm
  (backward <-> forward, ortho <-> ortho), since ``ifft(norm="forward")`` is exactly
  ``conj(F)^T``. The ``n=`` argument pads or crops the input first; its transpose crops or
  pads the cotangent back (:func:`_resize`).
* ``rfft``: the first ``n//2 + 1`` rows of the DFT, so ``A^H g`` zero-pads ``g`` to length
  ``n``, applies ``ifft`` with the dual norm and keeps the real part.
* ``irfft``: real-linear in its complex input (it reads only half the spectrum and drops
  the imaginary parts at DC and Nyquist). Its adjoint is ``w * rfft(g)`` with the dual norm,
  where ``w`` weighs each frequency by how many times it appears in the full Hermitian
  spectrum: 1 at DC (and at Nyquist when ``n`` is even), 2 elsewhere.

Every axis is normalised to a negative number, so the same primitive call transforms a
tangent or cotangent that carries leading batch axes.
"""
from __future__ import annotations

import numpy as np


from .broadcast import dtype_of, ndim_of, shape_of
from .elementwise import conj_p, is_complex
from .registry import deflinear, implements, primitive
from .shape import concat_p, pad_axis_p, slice_axis_p
from .ufuncs import real

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise ValueError(f'Invalid norm value {norm!r}; should be "backward", "ortho" or "forward".')
    return norm


def _axis(x, axis) -> int:
    nd = ndim_of(x)
    a = int(axis)
    if not -nd <= a < nd:
        raise np.exceptions.AxisError(f"axis {a} is out of bounds for array of dimension {nd}")
    return a - nd if a >= 0 else a


def _check_out(out, name):
    if out is not None:
        raise NotImplementedError(f"numpy.fft.{name}(..., out=...) is not supported on traced "
                                  f"values: funcad never writes into arrays. Use the returned value.")


# -- the primitives (axis negative, norm resolved) -----------------------------------------
fft_p = primitive(lambda x, n, axis, norm: np.fft.fft(x, n, axis, norm), "fft")
ifft_p = primitive(lambda x, n, axis, norm: np.fft.ifft(x, n, axis, norm), "ifft")
rfft_p = primitive(lambda x, n, axis, norm: np.fft.rfft(x, n, axis, norm), "rfft")
irfft_p = primitive(lambda x, n, axis, norm: np.fft.irfft(x, n, axis, norm), "irfft")


def _resize(c, axis: int, n: int):
    """``c`` cropped or zero-padded to length ``n`` along ``axis`` (the transpose of the
    crop/pad that the transforms' ``n=`` argument applies to their input)."""
    m = shape_of(c)[axis]
    if m > n:
        return slice_axis_p(c, axis, 0, n)
    if m < n:
        return pad_axis_p(c, axis, 0, n - m)
    return c


def _for_input(c, x):
    """A cotangent for ``x``: its real part when ``x`` is real."""
    return real(c) if is_complex(c) and not is_complex(x) else c


def _c2c_transpose(inverse_p):
    def vjp(g, ans, x, n, axis, norm):
        return _for_input(_resize(inverse_p(g, None, axis, _DUAL[norm]), axis, shape_of(x)[axis]), x)
    return vjp


def _rfft_vjp(g, ans, x, n, axis, norm):
    full = shape_of(x)[axis] if n is None else n
    c = ifft_p(pad_axis_p(g, axis, 0, full - shape_of(ans)[axis]), None, axis, _DUAL[norm])
    return _resize(real(c), axis, shape_of(x)[axis])


def _hermitian_weights(n: int, axis: int, dtype) -> np.ndarray:
    """1 at DC (and at Nyquist for even ``n``), 2 at the other ``n//2 + 1`` frequencies,
    shaped to broadcast along ``axis``."""
    w = np.full(n // 2 + 1, 2.0, dtype=dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.reshape((-1,) + (1,) * (-axis - 1))


def _irfft_vjp(g, ans, y, n, axis, norm):
    out_n = shape_of(ans)[axis]
    if is_complex(g):   # the output is real: only the real part of its cotangent counts
        g = real(g)
    c = rfft_p(g, None, axis, _DUAL[norm])
    c = c * _hermitian_weights(out_n, axis, dtype_of(g))
    return _for_input(_resize(c, axis, shape_of(y)[axis]), y)


deflinear(fft_p, _c2c_transpose(ifft_p))
deflinear(ifft_p, _c2c_transpose(fft_p))
deflinear(rfft_p, _rfft_vjp)
deflinear(irfft_p, _irfft_vjp)


# -- NumPy's signatures -------------------------------------------------------------------
def _one_axis(p, name):
    def f(a, n=None, axis=-1, norm=None, out=None):
        _check_out(out, name)
        return p(a, None if n is None else int(n), _axis(a, axis), _norm(norm))
    f.__name__ = name
    f.__doc__ = f"``numpy.fft.{name}`` (linear; see the module docstring for its transpose)."
    return implements(getattr(np.fft, name))(f)


fft, ifft, rfft, irfft = (_one_axis(p, p.name) for p in (fft_p, ifft_p, rfft_p, irfft_p))


@implements(np.fft.hfft)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """``numpy.fft.hfft``: ``irfft`` of the conjugate with the swapped norm (NumPy's own)."""
    _check_out(out, "hfft")
    ax = _axis(a, axis)
    n = (shape_of(a)[ax] - 1) * 2 if n is None else int(n)
    return irfft_p(conj_p(a), n, ax, _DUAL[_norm(norm)])


@implements(np.fft.ihfft)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """``numpy.fft.ihfft``: the conjugate of ``rfft`` with the swapped norm (NumPy's own)."""
    _check_out(out, "ihfft")
    return conj_p(rfft_p(a, None if n is None else int(n), _axis(a, axis), _DUAL[_norm(norm)]))


def _cook_nd(a, s, axes, invreal=False):
    """NumPy's ``_cook_nd_args``: the sizes and (negative) axes of an n-d transform."""
    shp = shape_of(a)
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(-len(shp), 0))
    axes = [_axis(a, ax) for ax in axes]
    if s is None:
        s = [shp[ax] for ax in axes]
        if invreal and axes:
            s[-1] = (shp[axes[-1]] - 1) * 2
    s = [shp[ax] if k == -1 else k for k, ax in zip(s, axes)]
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return s, axes


def _c2c_nd(p, name, default_axes):
    def f(a, s=None, axes=default_axes, norm=None, out=None):
        _check_out(out, name)
        s, axes = _cook_nd(a, s, axes)
        norm = _norm(norm)
        for k, ax in reversed(list(zip(s, axes))):   # NumPy's order: last axis first
            a = p(a, k, ax, norm)
        return a
    f.__name__ = name
    f.__doc__ = f"``numpy.fft.{name}``: one-axis transforms along each axis in turn."
    return implements(getattr(np.fft, name))(f)


fftn, ifftn = _c2c_nd(fft_p, "fftn", None), _c2c_nd(ifft_p, "ifftn", None)
fft2, ifft2 = _c2c_nd(fft_p, "fft2", (-2, -1)), _c2c_nd(ifft_p, "ifft2", (-2, -1))


def _rfft_nd(name, default_axes):
    def f(a, s=None, axes=default_axes, norm=None, out=None):
        _check_out(out, name)
        s, axes = _cook_nd(a, s, axes)
        norm = _norm(norm)
        a = rfft_p(a, s[-1], axes[-1], norm)
        for k, ax in reversed(list(zip(s[:-1], axes[:-1]))):
            a = fft_p(a, k, ax, norm)
        return a
    f.__name__ = name
    f.__doc__ = f"``numpy.fft.{name}``: ``rfft`` along the last axis, then ``fft`` along the others."
    return implements(getattr(np.fft, name))(f)


def _irfft_nd(name, default_axes):
    def f(a, s=None, axes=default_axes, norm=None, out=None):
        _check_out(out, name)
        s, axes = _cook_nd(a, s, axes, invreal=True)
        norm = _norm(norm)
        for k, ax in zip(s[:-1], axes[:-1]):
            a = ifft_p(a, k, ax, norm)
        return irfft_p(a, s[-1], axes[-1], norm)
    f.__name__ = name
    f.__doc__ = f"``numpy.fft.{name}``: ``ifft`` along all axes but the last, then ``irfft``."
    return implements(getattr(np.fft, name))(f)


rfftn, rfft2 = _rfft_nd("rfftn", None), _rfft_nd("rfft2", (-2, -1))
irfftn, irfft2 = _irfft_nd("irfftn", None), _irfft_nd("irfft2", (-2, -1))


# -- shifts: rolls, as a slice and a concatenation ---------------------------------------------
def _roll(x, shift: int, axis: int):
    n = shape_of(x)[axis]
    k = shift % n if n else 0
    if not k:
        return x
    return concat_p(slice_axis_p(x, axis, n - k, n), slice_axis_p(x, axis, 0, n - k), axis=axis)


def _shift(x, axes, sign: int):
    if axes is None:
        axes = range(ndim_of(x))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    for ax in axes:
        ax = _axis(x, ax)
        x = _roll(x, sign * (shape_of(x)[ax] // 2), ax)
    return x


@implements(np.fft.fftshift)
def fftshift(x, axes=None):
    """``numpy.fft.fftshift``: a roll by half the length along each axis (a permutation)."""
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def ifftshift(x, axes=None):
    """``numpy.fft.ifftshift``: the inverse roll of :func:`fftshift`."""
    return _shift(x, axes, -1)
