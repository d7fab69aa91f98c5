"""Radial profiles of the density model, as functions of the ellipsoidal radius r_q.

The fiducial profile is continuous with breaks at r1 < r2 (conventions §7; S001 section 3):
rho0 (r_q/r1)^-a1 (r_q < r1), rho0 (r_q/r1)^-a2 (r1 <= r_q < r2),
rho0 (r2/r1)^-a2 (r_q/r2)^-a3 (r_q >= r2). `PowerLaw` (no break) and `BrokenPowerLaw` (one
or two breaks) are its nested variants; `Einasto` shows that a profile of another family is
one more small class. A profile gives its ln-profile as a function of ln r_q^2 (the
likelihood's variable) and its shell integral, int r^2 f(r) dr, which with the geometry's
p q normalises the density; for the exact likelihood gradient (conventions §8) it also gives
the derivatives of both with respect to ln r_q^2 and its parameters.
"""

from __future__ import annotations

import bisect
import math

import numpy as np
from scipy import integrate, special

from ..cuts import GSE_RADIAL_RANGE_KPC
from .components import Component
from .geometry import ellipsoidal_radius

__all__ = ["broken_power_law", "shell_integral", "density", "SLOPE_NAMES", "POWER_LAW_BOUNDS", "POWER_LAW_STEPS",
           "Profile", "PowerLaw", "BrokenPowerLaw", "Einasto"]


def broken_power_law(r_q, alphas, breaks):
    """Continuous multiply broken power law, equal to 1 at the first break.

    Parameters
    ----------
    r_q : array_like
        Ellipsoidal radius, kpc.
    alphas : sequence of float
        Logarithmic slopes, one more than ``breaks``.
    breaks : sequence of float
        Increasing break radii, kpc. With no break the profile is (r_q / 1 kpc)^-alpha.

    Returns
    -------
    ndarray
        The dimensionless profile at ``r_q``.
    """
    r_q = np.asarray(r_q, float)
    if len(alphas) != len(breaks) + 1:
        raise ValueError("need one more slope than break radii")
    if not breaks:
        return r_q ** -alphas[0]
    out = (r_q / breaks[0]) ** -alphas[0]
    log_amp = 0.0  # log of the profile at the current break, relative to the first
    for i, rb in enumerate(breaks):
        if i > 0:
            log_amp -= alphas[i] * np.log(rb / breaks[i - 1])
        out = np.where(r_q >= rb, np.exp(log_amp) * (r_q / rb) ** -alphas[i + 1], out)
    return out


def _power_integral(a, b, k):
    """Integral of r^k dr from a to b."""
    if abs(k + 1.0) < 1e-12:
        return np.log(b / a)
    return (b ** (k + 1.0) - a ** (k + 1.0)) / (k + 1.0)


def _log_moments(lo, hi, e):
    """(int r^(e-1) dr, int r^(e-1) ln(r / lo) dr) over [lo, hi], stable for e -> 0.

    With x = e ln(hi / lo) the two are lo^e ln(hi/lo) phi1(x) and lo^e ln(hi/lo)^2 phi2(x),
    phi1 = (e^x - 1) / x and phi2 = (x e^x - e^x + 1) / x^2 = sum_n (n + 1) x^n / (n + 2)!
    (the series for |x| < 0.1, where the closed form cancels).
    """
    delta = np.log(hi / lo)
    x = e * delta
    if abs(x) < 0.1:
        n = np.arange(12)
        phi1 = float(np.sum(x**n / special.factorial(n + 1)))
        phi2 = float(np.sum((n + 1) * x**n / special.factorial(n + 2)))
    else:
        phi1 = np.expm1(x) / x
        phi2 = (x * np.exp(x) - np.expm1(x)) / x**2
    scale = lo**e * delta
    return scale * phi1, scale * delta * phi2


def shell_integral(alphas, breaks, r_min: float, r_max: float) -> float:
    """Integral of ``r**2 * broken_power_law(r)`` over r in [r_min, r_max] (analytic; see `broken_power_law`).

    Parameters
    ----------
    alphas, breaks : sequence of float
        Slopes and break radii (kpc) of `broken_power_law`.
    r_min, r_max : float
        Radial range, kpc.

    Returns
    -------
    float
        The integral, kpc^3.
    """
    alphas, breaks = [float(a) for a in alphas], [float(b) for b in breaks]
    amps = _segment_amplitudes(alphas, breaks)
    edges = [r_min] + [b for b in breaks if r_min < b < r_max] + [r_max]
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        seg = bisect.bisect_right(breaks, 0.5 * (lo + hi))
        total += amps[seg] * _power_integral(lo, hi, 2.0 - alphas[seg])
    return total


def _segment_amplitudes(alphas, breaks) -> list:
    """C_j with `broken_power_law` = C_j r^-alphas[j] on segment j (before the first break: j = 0).

    In Python floats: the emcee chains evaluate the amplitude for every walker, and numpy's
    per-call overhead on scalars cost more than the arithmetic (tested against the profile).
    """
    if not breaks:
        return [1.0]
    amps = [breaks[0] ** alphas[0]]
    log_amp = 0.0  # ln of the profile at break i relative to the first, as in broken_power_law
    for i, rb in enumerate(breaks):
        if i > 0:
            log_amp -= alphas[i] * math.log(rb / breaks[i - 1])
        amps.append(math.exp(log_amp) * rb ** alphas[i + 1])
    return amps


def density(pos, *, total, alphas, breaks, p=1.0, q=1.0, pitch=0.0, yaw=0.0,
            r_min=1.0, r_max=100.0):
    """Density of a tilted triaxial broken power law normalised to ``total`` in a shell.

    Parameters
    ----------
    pos : array_like, shape (3, ...)
        Galactocentric positions, kpc.
    total : float
        Integral of the density over r_min < r_q < r_max (e.g. a number of giants or a
        stellar mass); the density is in the same unit per kpc^3.
    alphas, breaks : sequence of float
        Slopes and break radii (kpc) of `broken_power_law`.
    p, q : float
        Intermediate/major and minor/major axis ratios.
    pitch, yaw : float
        Orientation of the major axis, deg.
    r_min, r_max : float
        Ellipsoidal radii (kpc) of the shell that holds ``total``.

    Returns
    -------
    ndarray, shape (...)
        Density, unit of ``total`` per kpc^3.
    """
    r_q = ellipsoidal_radius(pos, p, q, pitch, yaw)
    norm = total / (4.0 * np.pi * p * q * shell_integral(alphas, breaks, r_min, r_max))
    return norm * broken_power_law(r_q, alphas, breaks)


class Profile(Component):
    """A radial profile f(r_q) (dimensionless) of the density model.

    Subclasses give `log_profile` (ln f as a function of ln r_q^2) and `shell_integral`
    (int r^2 f(r) dr, kpc^3, consistent with `log_profile`); the model's density is
    N / (4 pi p q shell_integral(1, 100)) f(r_q) for N tracers in 1 < r_q < 100 kpc.
    """

    def log_profile(self, ln_rq2, full: dict):
        """ln f at ln r_q^2 (r_q in kpc) for completed parameters ``full``."""
        raise NotImplementedError

    def shell_integral(self, full: dict, r_min: float, r_max: float) -> float:
        """int r^2 f(r) dr over [r_min, r_max] (kpc), kpc^3."""
        raise NotImplementedError

    def refine_start(self, guess: dict, rng) -> None:
        """Adjust a starting guess after the geometry's draws (default: nothing)."""

    def log_profile_gradient(self, ln_rq2, full: dict):
        """Derivatives of `log_profile` at ln r_q^2 (r_q in kpc) for completed parameters ``full``.

        Returns
        -------
        d_ln_rq2 : ndarray, shape (N,)
            d ln f / d ln r_q^2 (dimensionless).
        d_params : ndarray, shape (len(free), N)
            d ln f / d(each free parameter), per its natural unit (e.g. per kpc for a radius).
        """
        raise NotImplementedError(f"{type(self).__name__} gives no log_profile_gradient (needed for exact gradients)")

    def log_shell_integral_gradient(self, full: dict, r_min: float, r_max: float) -> np.ndarray:
        """d ln(`shell_integral`) / d(each free parameter) over [r_min, r_max] (kpc), shape (len(free),).

        By default numerically, from the parameters not moving the limits:
        dI/dtheta = int r^2 f (d ln f / d theta) dr (adaptive quadrature in ln r, relative
        accuracy ~1e-12), with `log_profile_gradient`; a profile with a closed form overrides it.
        """
        lo, hi = np.log(r_min), np.log(r_max)

        def integrand(t, j):
            u = np.array([2.0 * t])
            return np.exp(3.0 * t + self.log_profile(u, full)[0]) * self.log_profile_gradient(u, full)[1][j, 0]

        grad = [integrate.quad(integrand, lo, hi, args=(j,), epsabs=0.0, epsrel=1e-12, limit=200)[0]
                for j in range(len(self.free))]
        return np.array(grad) / self.shell_integral(full, r_min, r_max)


#: The slopes and break radii of the broken power-law family, in their canonical order.
SLOPE_NAMES = ("alpha1", "alpha2", "alpha3", "r1", "r2")
#: Uniform prior ranges of the family (slopes; radii kpc, the breaks inside the sample's
#: radial range). Besides these, r1 < r2.
POWER_LAW_BOUNDS = {"alpha1": (0.0, 10.0), "alpha2": (0.0, 10.0), "alpha3": (0.0, 10.0),
                    "r1": GSE_RADIAL_RANGE_KPC, "r2": GSE_RADIAL_RANGE_KPC}
#: Finite-difference steps of the family (slopes; radii kpc).
POWER_LAW_STEPS = {"alpha1": 0.01, "alpha2": 0.01, "alpha3": 0.02, "r1": 0.05, "r2": 0.1}


class _PowerLawFamily(Profile):
    """The broken power law with ``n_breaks`` breaks; the unused slopes and radii fixed."""

    names = SLOPE_NAMES
    bounds = POWER_LAW_BOUNDS
    steps = POWER_LAW_STEPS
    n_breaks = 0

    def __init__(self):
        n = self.n_breaks
        self.free = ("alpha1", "alpha2", "alpha3")[: n + 1] + ("r1", "r2")[:n]
        fixed = {"alpha2": 0.0, "alpha3": 0.0, "r1": 1.0, "r2": 1.0}
        self.fixed = {k: v for k, v in fixed.items() if k not in self.free}
        # the optimiser sees r2 as the fraction t of [r1, r2_high]: r2 = r1 + (r2_high - r1) t
        self.relative = ("r2",) if "r2" in self.free else ()

    def alphas_breaks(self, full: dict):
        """(alphas, breaks) of `broken_power_law` for this variant."""
        a = (full["alpha1"], full["alpha2"], full["alpha3"])[: self.n_breaks + 1]
        b = (full["r1"], full["r2"])[: self.n_breaks]
        return a, b

    def shell_integral(self, full: dict, r_min: float, r_max: float) -> float:
        alphas, breaks = self.alphas_breaks(full)
        return shell_integral(alphas, breaks, r_min, r_max)

    def log_shell_integral_gradient(self, full: dict, r_min: float, r_max: float) -> np.ndarray:
        # between consecutive edges (r_min, the breaks inside, r_max), r^2 f = amp r^k and every
        # d ln f / d theta is affine in ln r, c0 + c1 ln(r / lo), read off `log_profile_gradient`
        # at two points of the segment: dI/dtheta = amp (c0 int r^k dr + c1 int r^k ln(r/lo) dr)
        alphas, breaks = self.alphas_breaks(full)
        edges = [r_min] + [b for b in breaks if r_min < b < r_max] + [r_max]
        grad = np.zeros(len(self.free))
        for lo, hi in zip(edges[:-1], edges[1:]):
            mid = 0.5 * (lo + hi)
            seg = int(np.searchsorted(breaks, mid, side="right"))
            amp = float(broken_power_law(mid, alphas, breaks) * mid ** alphas[seg])
            t = np.log(lo) + np.log(hi / lo) * np.array([0.25, 0.75])  # ln r inside the segment
            _, g = self.log_profile_gradient(2.0 * t, full)
            c1 = (g[:, 1] - g[:, 0]) / (t[1] - t[0])
            c0 = g[:, 0] - c1 * (t[0] - np.log(lo))
            j0, j1 = _log_moments(lo, hi, 3.0 - alphas[seg])
            grad += amp * (c0 * j0 + c1 * j1)
        return grad / self.shell_integral(full, r_min, r_max)

    def from_opt_jacobian(self, values) -> np.ndarray:
        """d(free parameters)/d(`to_opt` coordinates ``values``): r2 = r1 + (r2_high - r1) t."""
        jac = np.eye(len(self.free))
        if self.relative:
            i_1, i_2 = self.free.index("r1"), self.free.index("r2")
            jac[i_2, i_1] = 1.0 - values[i_2]
            jac[i_2, i_2] = self.bounds["r2"][1] - values[i_1]
        return jac

    def draw_start(self, rng) -> dict:
        # every variant draws all five: the same random sequence whatever the variant
        return {"alpha1": rng.uniform(1.0, 3.5), "alpha2": rng.uniform(2.5, 4.5), "alpha3": rng.uniform(3.5, 6.0),
                "r1": rng.uniform(9.0, 18.0), "r2": rng.uniform(22.0, 40.0)}

    def relative_to_opt(self, name: str, params: dict) -> float:
        hi = self.bounds["r2"][1]
        return (params["r2"] - params["r1"]) / (hi - params["r1"])

    def relative_from_opt(self, out: dict) -> dict:
        out["r2"] = out["r1"] + (self.bounds["r2"][1] - out["r1"]) * out["r2"]
        return out


class PowerLaw(_PowerLawFamily):
    """A single power law (r_q / 1 kpc)^-alpha1."""

    name = "no_break"
    n_breaks = 0

    def log_profile(self, ln_rq2, full: dict):
        return -0.5 * full["alpha1"] * ln_rq2

    def log_profile_gradient(self, ln_rq2, full: dict):
        ln_rq2 = np.asarray(ln_rq2, float)
        return np.full(ln_rq2.shape, -0.5 * full["alpha1"]), -0.5 * ln_rq2[None]

    def refine_start(self, guess: dict, rng) -> None:
        # one slope over the whole range lies between the inner and outer slopes of a broken law
        guess["alpha1"] = rng.uniform(2.5, 4.5)


class BrokenPowerLaw(_PowerLawFamily):
    """A continuous power law with one (r1) or two (r1 < r2) breaks, equal to 1 at r1.

    Parameters
    ----------
    n_breaks : int
        1 (slopes alpha1, alpha2; break r1) or 2 (alpha1-3; r1, r2).
    """

    def __init__(self, n_breaks: int = 2):
        if n_breaks not in (1, 2):
            raise ValueError(f"n_breaks must be 1 or 2, got {n_breaks!r}")
        self.n_breaks = n_breaks
        self.name = {1: "single_break", 2: "double_break"}[n_breaks]
        super().__init__()

    def __repr__(self):
        return f"BrokenPowerLaw(n_breaks={self.n_breaks})"

    def log_profile(self, ln_rq2, full: dict):
        # branch-free: each slope acts on the part of ln r_q^2 inside its segment
        alphas, breaks = self.alphas_breaks(full)
        L = [2.0 * np.log(rb) for rb in breaks]
        total = alphas[0] * np.minimum(ln_rq2 - L[0], 0.0)
        for i in range(1, self.n_breaks):
            total = total + alphas[i] * np.clip(ln_rq2 - L[i - 1], 0.0, L[i] - L[i - 1])
        total = total + alphas[-1] * np.maximum(ln_rq2 - L[-1], 0.0)
        return -0.5 * total

    def log_profile_gradient(self, ln_rq2, full: dict):
        # slope alpha_j acts on ln r_q^2 clipped to its segment [L_j-1, L_j] (from L_0 for j = 0);
        # moving break i shifts every segment above it: d ln f / d r1 = alpha1 below r1, alpha2 above;
        # d ln f / d r2 = alpha3 - alpha2 above r2 (each per r_i), looked up by segment
        u = np.asarray(ln_rq2, float)
        alphas, breaks = self.alphas_breaks(full)
        n = self.n_breaks
        L = [2.0 * np.log(rb) for rb in breaks]
        seg = np.searchsorted(L, u, side="right")  # 0 below r1, ..., n at or beyond the last break
        d_ln_rq2 = -0.5 * np.take(alphas, seg)
        d_params = np.empty((2 * n + 1,) + u.shape)
        for j, (lo, hi, base) in enumerate(zip([-np.inf] + L, L + [np.inf], L[:1] + L)):
            np.clip(u, lo, hi, out=d_params[j])
            d_params[j] -= base
            d_params[j] *= -0.5
        np.take(np.array([alphas[0]] + [alphas[1]] * n) / breaks[0], seg, out=d_params[n + 1])
        for i in range(1, n):
            coef = np.where(np.arange(n + 1) > i, (alphas[i + 1] - alphas[i]) / breaks[i], 0.0)
            np.take(coef, seg, out=d_params[n + 1 + i])
        return d_ln_rq2, d_params

    def problems(self, full: dict) -> list:
        radii = ("r1", "r2")[: self.n_breaks]
        return [f"{b} = {full[b]:g} <= {a} = {full[a]:g} (need {a} < {b})"
                for a, b in zip(radii, radii[1:]) if full[b] <= full[a]]


class Einasto(Profile):
    """Einasto profile exp{-(2/alpha_ein) [(r_q / r_s)^alpha_ein - 1]}, equal to 1 at r_s.

    Its logarithmic slope is -2 (r_q / r_s)^alpha_ein: -2 at r_s (kpc), steepening outwards
    at a rate set by alpha_ein. Not one of the chapters' models (no default uses it): it
    shows that a profile outside the broken power-law family is one small class, e.g.
    ``get_model("triaxial_einasto")``.
    """

    name = "einasto"
    names = free = ("alpha_ein", "r_s")
    fixed = {}
    bounds = {"alpha_ein": (0.05, 3.0), "r_s": (1.0, 100.0)}
    steps = {"alpha_ein": 0.005, "r_s": 0.05}

    def log_profile(self, ln_rq2, full: dict):
        a = full["alpha_ein"]
        return -(2.0 / a) * np.expm1(0.5 * a * (ln_rq2 - 2.0 * np.log(full["r_s"])))

    def shell_integral(self, full: dict, r_min: float, r_max: float) -> float:
        # s = (2 / a) (r / r_s)^a turns r^2 f(r) dr into a gamma-function integrand
        a, r_s = full["alpha_ein"], full["r_s"]
        k = 3.0 / a
        s_lo, s_hi = (2.0 / a) * (r_min / r_s) ** a, (2.0 / a) * (r_max / r_s) ** a
        # difference of the regularised incomplete gamma functions on the side that avoids cancellation
        if s_lo < k:
            regularised = special.gammainc(k, s_hi) - special.gammainc(k, s_lo)
        else:
            regularised = special.gammaincc(k, s_lo) - special.gammaincc(k, s_hi)
        incomplete = special.gamma(k) * regularised
        return float(r_s**3 * np.exp(2.0 / a) * (0.5 * a) ** k / a * incomplete)

    def log_profile_gradient(self, ln_rq2, full: dict):
        # with y = alpha_ein ln(r_q / r_s): ln f = -(2 / alpha_ein) (e^y - 1)
        a, r_s = full["alpha_ein"], full["r_s"]
        y = 0.5 * a * (np.asarray(ln_rq2, float) - 2.0 * np.log(r_s))
        e_y = np.exp(y)
        return -e_y, np.array([(2.0 / a**2) * (np.expm1(y) - y * e_y), 2.0 * e_y / r_s])

    def draw_start(self, rng) -> dict:
        return {"alpha_ein": rng.uniform(0.2, 1.0), "r_s": rng.uniform(10.0, 30.0)}
