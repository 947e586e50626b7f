"""Device helpers that generated Triton kernels call as `jl.<name>(...)` where numpy's meaning
needs more than one core `tl` op (special values, accuracy near 0, floor division). They use
only core `tl.*` ops, never libdevice, so they also run in Triton's interpreter. Each returns
its input's dtype, except the predicates (`isnan`, `signbit`, ...), which return int1.
Binary helpers broadcast their operands first: a kernel may pass a scalar for one of them,
and Triton 3.9's interpreter breaks `&` between a block and a splat scalar comparison.

Generated kernels use them like this (`from codegen import triton_prelude as jl`):

    v2 = jl.expm1(v1)
    v4 = jl.float_remainder(v2, v3)
"""

import triton
import triton.language as tl

_INF = tl.constexpr(float("inf"))
_LN2 = tl.constexpr(0.6931471805599453)
_LOG10_E = tl.constexpr(0.4342944819032518)
# Past this |x|, e^-|x| is below float64 rounding next to e^|x|: tanh is +-1, sinh and
# cosh are e^|x| / 2.
_EXP_SATURATES = tl.constexpr(20.0)
# Past this |x|, asinh(x) and acosh(x) equal log(2|x|) to float64 rounding, and x * x,
# which the other formula needs, could overflow.
_LOG_ASYMPTOTE = tl.constexpr(1e8)


# ---- predicates and sign ------------------------------------------------------------------


@triton.jit
def _nan_like(x):
    """nan in x's shape and dtype. (A global nan constant breaks the real compiler: Triton
    checks that the globals a kernel and each helper it calls saw are equal, and nan is not
    equal to itself.)"""
    return tl.zeros_like(x) + (_INF - _INF)


@triton.jit
def isnan(x):
    return x != x


@triton.jit
def isinf(x):
    return tl.abs(x) == _INF


@triton.jit
def isfinite(x):
    # false for nan as well, since nan < inf is false
    return tl.abs(x) < _INF


@triton.jit
def signbit(x):
    """The sign bit itself, so -0.0 and -nan count as negative."""
    if x.dtype == tl.float64:
        bits = x.to(tl.int64, bitcast=True)
    else:
        bits = x.to(tl.int32, bitcast=True)
    return bits < 0


@triton.jit
def copysign(x, y):
    x, y = tl.broadcast(x, y)
    return tl.where(signbit(y), -tl.abs(x), tl.abs(x))


@triton.jit
def sign(x):
    # numpy's sign of -0 is +0; nan is returned as it is
    return tl.where(x > 0.0, 1.0, tl.where(x < 0.0, -1.0, tl.where(x == 0.0, 0.0, x)))


# ---- rounding -----------------------------------------------------------------------------


@triton.jit
def trunc(x):
    return tl.where(x < 0.0, tl.ceil(x), tl.floor(x))


@triton.jit
def rint(x):
    """Round half to even. x - floor(x) is exact, so the halfway test is exact too."""
    low = tl.floor(x)
    fraction = x - low
    low_is_odd = low - 2.0 * tl.floor(0.5 * low) != 0.0
    up = (fraction > 0.5) | ((fraction == 0.5) & low_is_odd)
    # rint keeps the sign of x, zeros included: rint(-0.3) is -0.0
    return copysign(tl.where(up, low + 1.0, low), x)


# ---- exponentials and logarithms ----------------------------------------------------------


@triton.jit
def expm1(x):
    """Kahan's trick: (u - 1) * x / log(u) with u = exp(x); the division by log(u) cancels
    the rounding error made in forming u."""
    u = tl.exp(x)
    u_minus_1 = u - 1.0
    # x / log(u) is near 1; forming it first keeps (u - 1) * x from overflowing
    y = u_minus_1 * (x / tl.log(u))
    y = tl.where(u_minus_1 == -1.0, -1.0, y)
    y = tl.where(u == 1.0, x, y)
    return tl.where(u == _INF, u, y)


@triton.jit
def log1p(x):
    """The same trick: log(u) * x / (u - 1) with u = 1 + x."""
    u = 1.0 + x
    y = tl.log(u) * (x / (u - 1.0))
    y = tl.where(u == 1.0, x, y)
    return tl.where(x == _INF, x, y)


@triton.jit
def log10(x):
    return tl.log(x) * _LOG10_E


@triton.jit
def reciprocal(x):
    return 1.0 / x


@triton.jit
def logaddexp(x, y):
    """max + log1p(exp(-|x - y|)); equal arguments (both infinities included) give x + log 2."""
    x, y = tl.broadcast(x, y)
    larger = tl.where(x > y, x, y)
    # a nan in either argument makes the difference, and so the result, nan
    z = larger + log1p(tl.exp(-tl.abs(x - y)))
    return tl.where(x == y, x + _LN2, z)


# ---- hyperbolic and inverse hyperbolic ----------------------------------------------------


@triton.jit
def tanh(x):
    """tanh|x| = expm1(2|x|) / (expm1(2|x|) + 2), exact near 0 and never inf / inf."""
    a = tl.abs(x)
    a = tl.where(a > _EXP_SATURATES, _EXP_SATURATES, a)
    e = expm1(2.0 * a)
    return copysign(e / (e + 2.0), x)


@triton.jit
def _exp_halves(a):
    """e^a / 2 as (e^(a/2) / 2) * e^(a/2), finite up to the top of the range."""
    half = tl.exp(0.5 * a)
    return (0.5 * half) * half


@triton.jit
def sinh(x):
    # sinh a = (e^a - 1 + (e^a - 1) / e^a) / 2 stays accurate near 0
    a = tl.abs(x)
    e = expm1(tl.where(a > _EXP_SATURATES, _EXP_SATURATES, a))
    small = 0.5 * (e + e / (e + 1.0))
    return copysign(tl.where(a > _EXP_SATURATES, _exp_halves(a), small), x)


@triton.jit
def cosh(x):
    a = tl.abs(x)
    e = tl.exp(tl.where(a > _EXP_SATURATES, _EXP_SATURATES, a))
    small = 0.5 * (e + 1.0 / e)
    return tl.where(a > _EXP_SATURATES, _exp_halves(a), small)


@triton.jit
def arcsinh(x):
    # asinh a = log1p(a + a^2 / (1 + sqrt(1 + a^2))), which keeps its accuracy near 0
    a = tl.abs(x)
    small = log1p(a + a * a / (1.0 + tl.sqrt(1.0 + a * a)))
    large = tl.log(a) + _LN2
    return copysign(tl.where(a > _LOG_ASYMPTOTE, large, small), x)


@triton.jit
def arccosh(x):
    # acosh x = log1p(t + sqrt(2t + t^2)) with t = x - 1, exact near 1
    t = x - 1.0
    small = log1p(t + tl.sqrt(2.0 * t + t * t))
    large = tl.log(x) + _LN2
    y = tl.where(x > _LOG_ASYMPTOTE, large, small)
    return tl.where(x < 1.0, _nan_like(y), y)


@triton.jit
def arctanh(x):
    # atanh a = log1p(2a / (1 - a)) / 2: inf at a = 1, and log1p of less than -1 (nan) past it
    a = tl.abs(x)
    return copysign(0.5 * log1p(2.0 * a / (1.0 - a)), x)


# ---- trigonometric and roots --------------------------------------------------------------


@triton.jit
def tan(x):
    return tl.sin(x) / tl.cos(x)


@triton.jit
def cbrt(x):
    a = tl.abs(x)
    y = tl.exp2(tl.log2(a) * (1.0 / 3.0))
    # one Newton step on y^3 = a, written so that y^3 is never formed and cannot overflow
    y = y - (y - a / (y * y)) * (1.0 / 3.0)
    keep = (a == 0.0) | (a == _INF) | (x != x)
    return tl.where(keep, x, copysign(y, x))


@triton.jit
def hypot(x, y):
    """big * sqrt(1 + (small / big)^2): no overflow or underflow in the squares."""
    x, y = tl.broadcast(x, y)
    a = tl.abs(x)
    b = tl.abs(y)
    big = tl.where(a > b, a, b)
    small = tl.where(a > b, b, a)
    ratio = small / big
    h = big * tl.sqrt(1.0 + ratio * ratio)
    # both zero (small is then 0), or a nan that the comparisons sent into `small`
    h = tl.where(big == 0.0, small, h)
    return tl.where((a == _INF) | (b == _INF), _INF, h)


# ---- power --------------------------------------------------------------------------------


@triton.jit
def _exp2_of_sum(high, low):
    """2^(high + low), high exact, without rounding high + low to a float64: the integer part
    n is split off exactly, and 2^n is applied in two halves so that neither overflows early."""
    total = high + low
    n = tl.floor(total + 0.5)
    saturated = tl.abs(total) > 2200.0
    # past 2^2200 either way every float64 result is inf or 0; clamping keeps 2^r finite
    n = tl.where(total > 2200.0, 2200.0, tl.where(total < -2200.0, -2200.0, n))
    r = tl.where(saturated, 0.0, (high - n) + low)
    n_half = tl.floor(0.5 * n)
    return tl.exp2(r) * tl.exp2(n_half) * tl.exp2(n - n_half)


@triton.jit
def _pow_finite(a, y):
    """a^y for float64 a > 0 and y, both finite. log2(a) = e + log2(m) with e an integer
    and m in [0.7, 1.42]; y * e is formed exactly, so only y * log2(m) carries rounding error,
    about |y log2 m| ulps (plain exp2(y * log2(a)) loses |y log2 a| ulps: 1e-13 near 1e300)."""
    e = tl.floor(tl.log2(a) + 0.5)
    e_half = tl.floor(0.5 * e)
    # two power-of-two scalings, each exact, as 2^-e alone can overflow for subnormal a
    m = a * tl.exp2(-e_half) * tl.exp2(e_half - e)
    # past 1e19 every a != 1 gives inf or 0 already; the clamp keeps the split below finite
    y = tl.where(y > 1e19, 1e19, tl.where(y < -1e19, -1e19, y))
    # y_high keeps the top 26 of y's 53 significant bits, so y_high * e (|e| <= 1075) is
    # exact. Masking the bits, unlike Veltkamp's multiply-and-subtract split, is immune to
    # the compiler fusing a multiply and a subtract into one fma.
    y_high = (y.to(tl.int64, bitcast=True) & -134217728).to(tl.float64, bitcast=True)
    y_low = y - y_high
    return _exp2_of_sum(y_high * e, y_low * e + y * tl.log2(m))


@triton.jit
def power(x, y):
    """numpy's float power. float32 is computed in float64, since a float32 y * log2|x|
    alone would cost |y log2 x| ulps; float64 uses the exact-exponent split of _pow_finite."""
    x, y = tl.broadcast(x, y)
    x_wide = x.to(tl.float64)
    y_wide = y.to(tl.float64)
    a = tl.abs(x_wide)
    finite = (a > 0.0) & (a < _INF) & (tl.abs(y_wide) < _INF)
    magnitude = _pow_finite(tl.where(finite, a, 1.0), tl.where(finite, y_wide, 0.0))
    # |x| of 0 or inf, or y infinite: inf or 0 by the sign of y * log2|x|; nan stays nan
    exponent = y_wide * tl.log2(a)
    saturated = tl.where(exponent > 0.0, _INF, tl.where(exponent < 0.0, 0.0, exponent))
    magnitude = tl.where(finite, magnitude, saturated)
    magnitude = tl.where((a == 1.0) & (y_wide == y_wide), 1.0, magnitude)
    y_is_integer = tl.floor(y_wide) == y_wide
    y_is_odd = y_is_integer & (y_wide - 2.0 * tl.floor(0.5 * y_wide) == 1.0)
    z = tl.where(signbit(x_wide) & y_is_odd, -magnitude, magnitude)
    # a finite negative base to a non-integral power has no real value
    z = tl.where((x_wide < 0.0) & (x_wide > -_INF) & ~y_is_integer, _nan_like(z), z)
    z = tl.where((y_wide == 0.0) | (x_wide == 1.0), 1.0, z)
    return z.to(x.dtype)


# ---- comparisons --------------------------------------------------------------------------


@triton.jit
def maximum(x, y):
    return tl.maximum(x, y, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def minimum(x, y):
    return tl.minimum(x, y, propagate_nan=tl.PropagateNan.ALL)


@triton.jit
def fmax(x, y):
    x, y = tl.broadcast(x, y)
    # a nan is dropped in favour of the other argument; tl.maximum's own nan rule is unspecified
    return tl.where(x != x, y, tl.where(y != y, x, tl.maximum(x, y)))


@triton.jit
def fmin(x, y):
    x, y = tl.broadcast(x, y)
    return tl.where(x != x, y, tl.where(y != y, x, tl.minimum(x, y)))


# ---- floor division -----------------------------------------------------------------------


@triton.jit
def _float_divmod(x, y):
    """numpy's npy_divmod, step for step: the exact fmod (Triton's float %) moved to the sign
    of y, and the quotient rounded from (x - mod) / y, which is close to an integer."""
    x, y = tl.broadcast(x, y)
    mod = x % y
    quotient = (x - mod) / y
    fix = (mod != 0.0) & ((y < 0.0) != (mod < 0.0))
    mod = tl.where(fix, mod + y, mod)
    quotient = tl.where(fix, quotient - 1.0, quotient)
    zero = tl.zeros_like(x)
    mod = tl.where(mod == 0.0, copysign(zero, y), mod)
    floor_quotient = tl.floor(quotient)
    floor_quotient = tl.where(quotient - floor_quotient > 0.5, floor_quotient + 1.0, floor_quotient)
    floor_quotient = tl.where(quotient == 0.0, copysign(zero, x / y), floor_quotient)
    # y == 0: x / y is +-inf or nan; mod is already fmod(x, 0), nan
    floor_quotient = tl.where(y == 0.0, x / y, floor_quotient)
    return floor_quotient, mod


@triton.jit
def float_floor_divide(x, y):
    floor_quotient, _ = _float_divmod(x, y)
    return floor_quotient


@triton.jit
def float_remainder(x, y):
    _, mod = _float_divmod(x, y)
    return mod


@triton.jit
def _int_divmod(x, y):
    """Floor division from Triton's truncating // and %. A divisor of 0 or -1 is swapped for 1
    before dividing, so there is no division by zero and no INT_MIN / -1 overflow."""
    x, y = tl.broadcast(x, y)
    awkward = (y == 0) | (y == -1)
    divisor = tl.where(awkward, 1, y)
    quotient = x // divisor
    mod = x % divisor
    fix = (mod != 0) & ((mod < 0) != (divisor < 0))
    quotient = tl.where(fix, quotient - 1, quotient)
    mod = tl.where(fix, mod + divisor, mod)
    # numpy gives 0 for both when y == 0, and x // -1 wraps INT_MIN to itself; x % -1 is 0
    quotient = tl.where(y == -1, -x, tl.where(y == 0, 0, quotient))
    mod = tl.where(y == 0, 0, mod)
    return quotient, mod


@triton.jit
def _uint_divmod(x, y):
    """Unsigned division truncates, which is flooring; only a divisor of 0 (numpy gives 0
    for both) is swapped for 1 first."""
    x, y = tl.broadcast(x, y)
    zero = y == 0
    divisor = tl.where(zero, 1, y)
    return tl.where(zero, 0, x // divisor), tl.where(zero, 0, x % divisor)


@triton.jit
def _floor_divmod(x, y):
    """numpy's floor division and remainder of integers, signed or not."""
    if x.dtype.is_int_unsigned():
        quotient, mod = _uint_divmod(x, y)
    else:
        quotient, mod = _int_divmod(x, y)
    return quotient, mod


@triton.jit
def int_floor_divide(x, y):
    quotient, _ = _floor_divmod(x, y)
    return quotient


@triton.jit
def int_remainder(x, y):
    _, mod = _floor_divmod(x, y)
    return mod


@triton.jit
def int_fmod(x, y):
    """C's fmod of integers: Triton's truncating %, with a divisor of 0 (numpy gives 0) or,
    when signed, -1 (INT_MIN % -1 overflows) swapped for 1 first, giving 0."""
    if x.dtype.is_int_unsigned():
        _, mod = _uint_divmod(x, y)
    else:
        x, y = tl.broadcast(x, y)
        awkward = (y == 0) | (y == -1)
        mod = tl.where(awkward, 0, x % tl.where(awkward, 1, y))
    return mod


# ---- error function (scipy.special.erf, erfc) ---------------------------------------------
# In float64 whatever the dtype, rounded once at the end. For |x| < 2.5 the series
# erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)) has positive terms only
# (no cancellation) and reaches float64 rounding in 40 terms; beyond, Laplace's continued
# fraction erfc(x) = e^(-x^2) / (sqrt(pi) (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))),
# evaluated from depth 40 upwards, does (both checked against scipy to 2e-15).
_ERF_SPLIT = tl.constexpr(2.5)
_TWO_OVER_SQRT_PI = tl.constexpr(1.1283791670955126)
_INV_SQRT_PI = tl.constexpr(0.5641895835477563)


@triton.jit
def _erf_series(z):
    """erf(z) for float64 0 <= z < 2.5."""
    z2 = z * z
    term = z
    total = z
    for n in range(1, 40):
        term = term * (2.0 * z2) / (2.0 * n + 1.0)
        total += term
    return _TWO_OVER_SQRT_PI * tl.exp(-z2) * total


@triton.jit
def _erfc_scaled(z):
    """erfc(z) e^(z^2) for float64 z >= 2.5 (no underflow, however large z is)."""
    t = z
    for i in range(40):
        t = z + ((40 - i) * 0.5) / t
    return _INV_SQRT_PI / t


@triton.jit
def _erfc_fraction(z):
    """erfc(z) for float64 z >= 2.5."""
    return tl.exp(-z * z) * _erfc_scaled(z)


@triton.jit
def erf(x):
    wide = x.to(tl.float64)
    z = tl.abs(wide)
    near = z < _ERF_SPLIT
    series = _erf_series(tl.where(near, z, 0.0))
    fraction = _erfc_fraction(tl.where(near, _ERF_SPLIT, z))
    # erf is odd; nan takes the fraction's path and stays nan
    return copysign(tl.where(near, series, 1.0 - fraction), wide).to(x.dtype)


@triton.jit
def erfc(x):
    wide = x.to(tl.float64)
    z = tl.abs(wide)
    near = z < _ERF_SPLIT
    series = _erf_series(tl.where(near, z, 0.0))
    fraction = _erfc_fraction(tl.where(near, _ERF_SPLIT, z))
    upper = tl.where(near, 1.0 - series, fraction)  # erfc(|x|)
    # erfc(-z) = 2 - erfc(z)
    return tl.where(wide < 0.0, 2.0 - upper, upper).to(x.dtype)


# ---- inverse error function and normal quantile (scipy.special.erfinv, ndtri) -------------
# Both solve erfc(y) = c for y >= 0, given c and a = 1 - c, in float64 whatever the dtype.
# Winitzki's approximation (2008), erfinv(a)^2 ~ sqrt(t^2 - l/k) - t with l = log(1 - a^2),
# t = 2/(pi k) + l/2, k = 0.147, starts within 2.3e-3 of y; two Halley steps (cubic
# convergence) reach float64 rounding. Each step solves the better-conditioned equation:
# erf(y) = a for a <= 1/2, and log erfc(y) = log c beyond, written with erfc(y) e^(y^2) so
# that nothing underflows even at c = 5e-324 (y = 27.2). ndtri(p) = -sqrt(2) erfcinv(2p).
# Checked against scipy to 2e-13 relative: below y = 2.5, erfc(y) is 1 - erf(y), whose
# rounding costs digits as erfc(y) nears 4e-4.
_WINITZKI = tl.constexpr(0.147)
_HALF_SQRT_PI = tl.constexpr(0.8862269254527580)
_SQRT2 = tl.constexpr(1.4142135623730951)


@triton.jit
def _erfinv_start(a, log_c, central):
    """Winitzki's approximation of erfinv(a), its cancellation removed for small a."""
    # log_q = log(1 - a^2) = log(c (1 + a)), from c itself in the tail
    log_q = tl.where(central, log1p(-tl.where(central, a * a, 0.25)), log_c + log1p(a))
    t = 2.0 / (_PI * _WINITZKI) + 0.5 * log_q
    root = tl.sqrt(t * t - log_q / _WINITZKI)
    # root - t = (-log_q/k) / (root + t), without cancellation while t > 0
    inner = tl.where(t > 0.0, (-log_q / _WINITZKI) / (root + t), root - t)
    return tl.sqrt(inner)


@triton.jit
def _erfinv_step(y, a, log_c, central):
    """One Halley step y - d / (1 - d f''/(2 f')) with d = f/f', for f(y) = erf(y) - a
    (f''/f' = -2y) or, in the tail, f(y) = log erfc(y) - log c (with s = erfc(y) e^(y^2):
    f' = -2/(sqrt(pi) s) and f''/(2 f') = 1/(sqrt(pi) s) - y)."""
    near = y < _ERF_SPLIT
    series = _erf_series(tl.where(near, y, 0.0))  # erf(y) below 2.5
    d = (series - a) * _HALF_SQRT_PI * tl.exp(tl.where(central, y * y, 0.0))
    central_y = y - d / (1.0 + y * d)
    upper = 1.0 - series
    far = _erfc_scaled(tl.where(near, _ERF_SPLIT, y))
    scaled = tl.where(near, upper * tl.exp(tl.where(near, y * y, 0.0)), far)
    log_erfc = tl.where(near, tl.log(upper), tl.log(far) - y * y)
    d = (log_c - log_erfc) * scaled * _HALF_SQRT_PI
    tail_y = y - d / (1.0 + d * (y - _INV_SQRT_PI / scaled))
    return tl.where(central, central_y, tail_y)


@triton.jit
def _erfcinv_positive(a, c):
    """y >= 0 with erfc(y) = c, for float64 0 < c <= 1 and a = 1 - c; a must be exact
    below 1/2 and c exact above (1 - x and 2p - 1 are exact for x, p >= 1/2)."""
    central = a <= 0.5
    log_c = tl.log(c)
    y = _erfinv_start(a, log_c, central)
    for _ in range(2):
        y = _erfinv_step(y, a, log_c, central)
    return y


@triton.jit
def erfinv(x):
    wide = x.to(tl.float64)
    magnitude = tl.abs(wide)
    inside = magnitude < 1.0  # false for nan
    a = tl.where(inside, magnitude, 0.5)
    y = _erfcinv_positive(a, 1.0 - a)
    # odd, but erfinv(-0.0) is +0.0 (scipy's)
    value = tl.where(wide < 0.0, -y, y)
    edge = tl.where(magnitude == 1.0, tl.where(wide < 0.0, -_INF, _INF), _nan_like(wide))
    return tl.where(inside, value, edge).to(x.dtype)


@triton.jit
def ndtri(p):
    wide = p.to(tl.float64)
    inside = (wide > 0.0) & (wide < 1.0)  # false for nan
    upper = wide > 0.5
    # c = 2 min(p, 1 - p) and a = 1 - c, exact where each decides the step
    c = tl.where(upper, 2.0 * (1.0 - wide), 2.0 * wide)
    a = tl.where(upper, 2.0 * wide - 1.0, 1.0 - 2.0 * wide)
    y = _SQRT2 * _erfcinv_positive(tl.where(inside, a, 0.5), tl.where(inside, c, 0.5))
    value = tl.where(upper, y, 0.0 - y)  # 0.0 - y: ndtri(0.5) is +0.0
    edge = tl.where(wide == 0.0, -_INF, tl.where(wide == 1.0, _INF, _nan_like(wide)))
    return tl.where(inside, value, edge).to(p.dtype)


# ---- log-gamma and digamma (scipy.special.gammaln, digamma) -------------------------------
# In float64, rounded once at the end. x > 0 is moved up to >= 10 by the recurrences
# Gamma(y + 1) = y Gamma(y) and psi(y + 1) = psi(y) + 1/y (ten steps at most), then
# Stirling's series for log Gamma and the asymptotic series of psi, each to the y^-14 term
# (Abramowitz & Stegun 6.1.40, 6.3.18; the next term is below 1e-16 at y = 10). x < 0
# uses the reflections Gamma(x) Gamma(1 - x) = pi / sin(pi x) and
# psi(1 - x) - psi(x) = pi cot(pi x), with pi x reduced to (-pi/2, pi/2] first.
_PI = tl.constexpr(3.141592653589793)
_HALF_LOG_2PI = tl.constexpr(0.9189385332046728)


@triton.jit
def _gammaln_positive(y):
    """log Gamma(y) for float64 y > 0."""
    product = tl.zeros_like(y) + 1.0
    for _ in range(10):
        low = y < 10.0
        product = tl.where(low, product * y, product)
        y = tl.where(low, y + 1.0, y)
    s = 1.0 / (y * y)
    tail = s * (1.0 / 1188.0 - s * (691.0 / 360360.0 - s / 156.0))
    series = (1.0 / 12.0 - s * (1.0 / 360.0 - s * (1.0 / 1260.0 - s * (1.0 / 1680.0 - tail)))) / y
    return (y - 0.5) * tl.log(y) - y + _HALF_LOG_2PI + series - tl.log(product)


@triton.jit
def _digamma_positive(y):
    """psi(y) for float64 y > 0."""
    shift = tl.zeros_like(y)
    for _ in range(10):
        low = y < 10.0
        shift = tl.where(low, shift - 1.0 / y, shift)
        y = tl.where(low, y + 1.0, y)
    s = 1.0 / (y * y)
    tail = s * (1.0 / 240.0 - s * (1.0 / 132.0 - s * (691.0 / 32760.0 - s / 12.0)))
    series = s * (1.0 / 12.0 - s * (1.0 / 120.0 - s * (1.0 / 252.0 - tail)))
    return shift + tl.log(y) - 0.5 / y - series


@triton.jit
def _reduced_pi(wide):
    """pi r with r = x - round(x) in [-1/2, 1/2): sin and cos of pi x up to sign."""
    return (wide - tl.floor(wide + 0.5)) * _PI


@triton.jit
def gammaln(x):
    wide = x.to(tl.float64)
    negative = wide < 0.0
    value = _gammaln_positive(tl.where(negative, 1.0 - wide, wide))
    reflected = -tl.log(tl.abs(tl.sin(_reduced_pi(wide))) / _PI) - value
    value = tl.where(negative, reflected, value)
    # scipy's values at the infinities, where Stirling's formula gives inf - inf
    value = tl.where(wide == _INF, _INF, tl.where(wide == -_INF, -_INF, value))
    return value.to(x.dtype)


@triton.jit
def digamma(x):
    wide = x.to(tl.float64)
    negative = wide < 0.0
    value = _digamma_positive(tl.where(negative, 1.0 - wide, tl.where(wide == 0.0, 1.0, wide)))
    angle = _reduced_pi(wide)
    value = tl.where(negative, value - tl.cos(angle) / tl.sin(angle) * _PI, value)
    # poles: nan at the negative integers (and -inf), -inf at +0 and inf at -0 (scipy's)
    value = tl.where(negative & (wide == tl.floor(wide)), _nan_like(value), value)
    value = tl.where(wide == 0.0, tl.where(signbit(wide), _INF, -_INF), value)
    return value.to(x.dtype)


# ---- polygamma (scipy.special.polygamma, order n >= 1) --------------------------------------
# psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x). For y > 0: the recurrence
# psi^(n)(y) = psi^(n)(y + 1) - (-1)^n n! / y^(n+1) moves y up to >= 10 + 2n, then the
# Euler-Maclaurin series (Abramowitz & Stegun 6.4.11) to the B_16 term,
# (-1)^(n+1) (n-1)!/y^n (1 + n/(2y) + sum_j B_2j/(2j)! n (n+1)...(n+2j-1) / y^(2j)),
# whose next term is below 1e-17 of the first there. For x < 0 with f = x - floor(x) and
# g = 1 - f, summing the recurrence from x up to f gives
# psi^(n)(x) = psi^(n)(f) + (-1)^(n+1) (psi^(n)(g) - psi^(n)(1 - x)): three evaluations at
# positive points, however large |x| is. g = floor(x) + 1 - x is exact, and so is f except
# for x in (-1/2, 0), where f is near 1 and psi^(n) smooth there.
_B2 = tl.constexpr(1.0 / 12.0)  # B_2j / (2j)!
_B4 = tl.constexpr(-1.0 / 720.0)
_B6 = tl.constexpr(1.0 / 30240.0)
_B8 = tl.constexpr(-1.0 / 1209600.0)
_B10 = tl.constexpr(1.0 / 47900160.0)
_B12 = tl.constexpr(-691.0 / 1307674368000.0)
_B14 = tl.constexpr(1.0 / 74724249600.0)
_B16 = tl.constexpr(-3617.0 / 10670622842880000.0)


@triton.jit
def _polygamma_series(u, n: tl.constexpr):
    """sum_j B_2j/(2j)! n (n+1)...(n+2j-1) u^j for j = 1..8, nested from the last term."""
    tail = _B14 + u * (n + 14.0) * (n + 15.0) * _B16
    tail = _B12 + u * (n + 12.0) * (n + 13.0) * tail
    tail = _B10 + u * (n + 10.0) * (n + 11.0) * tail
    tail = _B8 + u * (n + 8.0) * (n + 9.0) * tail
    tail = _B6 + u * (n + 6.0) * (n + 7.0) * tail
    tail = _B4 + u * (n + 4.0) * (n + 5.0) * tail
    tail = _B2 + u * (n + 2.0) * (n + 3.0) * tail
    return u * (n * (n + 1.0)) * tail


@triton.jit
def _polygamma_positive(y, n: tl.constexpr):
    """(-1)^(n+1) psi^(n)(y) = n! zeta(n + 1, y) for float64 y > 0."""
    factorial = 1.0  # (n - 1)!
    for k in tl.static_range(1, n):
        factorial = factorial * k
    shift = tl.zeros_like(y)  # sum of y^-(n+1) over the points passed
    for _ in range(10 + 2 * n):
        low = y < 10.0 + 2 * n
        inverse = 1.0 / y
        power = inverse
        for _k in tl.static_range(n):
            power = power * inverse
        shift = tl.where(low, shift + power, shift)
        y = tl.where(low, y + 1.0, y)
    inverse = 1.0 / y
    lead = tl.zeros_like(y) + factorial  # (n - 1)! / y^n, scaled first against underflow
    for _k in tl.static_range(n):
        lead = lead * inverse
    tail = 1.0 + 0.5 * n * inverse + _polygamma_series(inverse * inverse, n)
    return factorial * n * shift + lead * tail


@triton.jit
def polygamma(x, n: tl.constexpr):
    wide = x.to(tl.float64)
    sign = 1.0 - 2.0 * ((n + 1) % 2)  # (-1)^(n+1)
    # at the poles (0, -0, the negative integers, -inf) scipy gives (-1)^(n+1) inf
    pole = (wide <= 0.0) & (wide == tl.floor(wide))
    reflect = (wide < 0.0) & ~pole
    below = tl.where(reflect, wide, -0.5)  # the other lanes reflect a harmless point
    fraction = below - tl.floor(below)
    value = _polygamma_positive(tl.where(reflect, fraction, tl.where(pole, 1.0, wide)), n)
    reflected = _polygamma_positive(tl.floor(below) + 1.0 - below, n)
    reflected -= _polygamma_positive(1.0 - below, n)
    value = sign * tl.where(reflect, value + sign * reflected, value)
    return tl.where(pole, sign * _INF, value).to(x.dtype)
