"""A stellar halo of test particles in equilibrium in the Milky Way (conventions §14).

The tracers' number density is a broken power law, nu ∝ r^-slope_inner inside ``r_break``
and r^-slope_outer beyond (default 2 and 3.5 at 20 kpc: shallow inside, so that few particles
are spent on the inner Galaxy, and the outer halo's slope beyond). Their velocities follow the
distribution function of constant anisotropy beta = 1/2 (radially biased, as the outer halo
is measured to be),

    f(E, L) = L^-1 g(E),     g(E) = (1 / (2 pi^2)) d(r nu) / dPsi  at Psi = E,

in the monopole of `~halo_utils.dynamics.POTENTIAL` (its radial force averaged over the
sphere; the relative potential Psi = -Phi vanishes at infinity). For beta = 1/2 the
Cuddeford (1991) inversion of nu(r) into f is this single derivative, so the halo is an
exact equilibrium of the spherical potential: at fixed r the velocity magnitude v has density
∝ g(Psi(r) - v^2/2) v on [0, v_esc], the angle between v and e_r is uniform in [0, pi], and
the tangential direction is uniform. Beyond ~15 kpc, where the simulation measures, the
disc's flattening changes the monopole by < 1 %.

Particles come in mirror pairs, (x, v) and (-x, -v): the Milky Way potential is symmetric
under that reflection, so without the LMC each pair's mean velocity stays exactly zero, and
the bulk velocity of a shell measures the LMC's effect with no shot noise from the initial
draw (antithetic sampling).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import cumulative_trapezoid

from ..dynamics import POTENTIAL
from ..validation import check_integer, check_interval, check_real, make_generator
from .bodies import KMS_TO_KPC_MYR, gradient

__all__ = ["radial_force", "relative_potential", "HaloTracers", "jeans_sigma_r", "reaches", "draw_halo"]

#: Radial grid of the monopole and the distribution function, kpc: fine enough that Psi
#: changes by < 1e-3 between neighbours, wide enough that nu r and Psi are ~0 at its end.
_GRID = np.geomspace(1e-2, 1e6, 6000)


def radial_force(r) -> np.ndarray:
    """dPhi/dr of the monopole of the Milky Way potential at radii ``r`` (kpc), (km/s)^2 / kpc.

    The radial component of the gradient averaged over the sphere (16-point Gauss-Legendre
    in cos(theta); the potential is axisymmetric)."""
    r = np.atleast_1d(np.asarray(r, float))
    mu, w = np.polynomial.legendre.leggauss(16)
    sin = np.sqrt(1.0 - mu**2)
    unit = np.stack([sin, np.zeros_like(mu), mu], axis=1)  # (16, 3)
    pts = (r[:, None, None] * unit[None]).reshape(-1, 3)
    grad = gradient(POTENTIAL, pts.T).T.reshape(r.size, mu.size, 3)
    dphi_dr = np.einsum("rkj,kj->rk", grad, unit) @ w / 2.0  # kpc/Myr^2
    return dphi_dr / KMS_TO_KPC_MYR**2


def relative_potential(r) -> np.ndarray:
    """Psi(r) = integral_r^inf dPhi/dr' dr' of the monopole, (km/s)^2 (> 0, 0 at infinity)."""
    force = radial_force(_GRID)
    cumulative = cumulative_trapezoid(force, _GRID, initial=0.0)
    psi = cumulative[-1] - cumulative + force[-1] * _GRID[-1]  # beyond the grid: a point mass
    return np.exp(np.interp(np.log(r), np.log(_GRID), np.log(psi)))


class HaloTracers:
    """The tracer density and its beta = 1/2 distribution function (see the module docstring).

    Parameters
    ----------
    slope_inner, slope_outer : float
        nu ∝ r^-slope inside and beyond ``r_break`` (each > 1, so that r nu falls and g >= 0).
    r_break : float
        Break radius, kpc (> 0).
    """

    def __init__(self, slope_inner: float = 2.0, slope_outer: float = 3.5, r_break: float = 20.0):
        self.slope_inner = check_real("slope_inner", slope_inner, low=1, low_open=True, why="r nu must fall")
        self.slope_outer = check_real("slope_outer", slope_outer, low=1, low_open=True, why="r nu must fall")
        self.r_break = check_real("r_break", r_break, low=0, low_open=True, unit="kpc")
        self._psi = relative_potential(_GRID)
        r_nu = _GRID * self.density(_GRID)
        # g(E) on the grid of Psi: d(r nu)/dPsi = (d(r nu)/dr) / (dPsi/dr), both negative
        self._g = np.gradient(r_nu, _GRID) / np.gradient(self._psi, _GRID) / (2 * np.pi**2)

    def density(self, r) -> np.ndarray:
        """nu(r), normalised to 1 at ``r_break`` (per kpc^3)."""
        x = np.asarray(r, float) / self.r_break
        return np.where(x < 1, x ** -self.slope_inner, x ** -self.slope_outer)

    def g(self, energy) -> np.ndarray:
        """g(E) at relative energies E = Psi - v^2/2 ((km/s)^2; 0 for E <= 0)."""
        e = np.asarray(energy, float)
        order = np.argsort(self._psi)
        out = np.interp(e, self._psi[order], self._g[order], left=0.0, right=self._g[order][-1])
        return np.where(e > 0, out, 0.0)

    def draw_radii(self, n: int, rng, r_range) -> np.ndarray:
        """``n`` radii (kpc) from r^2 nu(r) between ``r_range``."""
        r = np.geomspace(*r_range, 4000)
        cdf = cumulative_trapezoid(r**3 * self.density(r), np.log(r), initial=0.0)
        return np.exp(np.interp(rng.uniform(size=n) * cdf[-1], cdf, np.log(r)))

    def draw_speeds(self, r, rng, n_speeds: int = 512) -> np.ndarray:
        """Speeds (km/s) at radii ``r`` (kpc) from g(Psi(r) - v^2/2) v on [0, v_esc(r)]."""
        k = np.clip(np.searchsorted(_GRID, r), 0, _GRID.size - 1)  # the grid radius just outside
        rows, inverse = np.unique(k, return_inverse=True)
        frac = np.linspace(0.0, 1.0, n_speeds)
        v = np.sqrt(2.0 * self._psi[rows])[:, None] * frac[None]  # (rows, n_speeds)
        pdf = self.g(self._psi[rows][:, None] - 0.5 * v**2) * v
        cdf = cumulative_trapezoid(pdf, frac, axis=1, initial=0.0)
        cdf /= cdf[:, -1:]
        # rows offset by their index: one searchsorted inverts every particle's own CDF
        u = rng.uniform(size=r.size)
        flat = (cdf + np.arange(rows.size)[:, None]).ravel()
        j = np.searchsorted(flat, inverse + u).clip(1, flat.size - 1)
        lo, hi = flat[j - 1], flat[j]
        t = np.clip((inverse + u - lo) / np.where(hi > lo, hi - lo, 1.0), 0, 1)
        f = frac[(j - 1) % n_speeds] + t * (frac[1] - frac[0])
        return f * np.sqrt(2.0 * self._psi[k])


def jeans_sigma_r(r, slope: float, beta: float) -> np.ndarray:
    """sigma_r (km/s) at radii ``r`` (kpc) of tracers with nu ∝ r^-slope and constant ``beta``
    in the Milky Way monopole, from the spherical Jeans equation,
    sigma_r^2(r) = r^(slope - 2 beta) integral_r^inf r'^(2 beta - slope) dPhi/dr' dr'
    (needs slope - 2 beta > 1). The tests check `HaloTracers` against it."""
    slope = check_real("slope", slope, low=0, low_open=True)
    beta = check_real("beta", beta, high=1, high_open=True)
    if slope - 2 * beta <= 1:
        raise ValueError(f"the Jeans integral needs slope - 2 beta > 1, got slope {slope} and beta {beta}")
    r = np.asarray(r, float)
    cumulative = cumulative_trapezoid(_GRID ** (2 * beta - slope) * radial_force(_GRID), _GRID, initial=0.0)
    tail = cumulative[-1] - cumulative  # int_r^inf
    keep = tail > 0  # the integral's last points round to zero
    log_sigma2 = np.log(tail[keep] * _GRID[keep] ** (slope - 2 * beta))
    return np.sqrt(np.exp(np.interp(np.log(r), np.log(_GRID[keep]), log_sigma2)))


def _draw(n_pairs, rng, tracers, r_range):
    """``n_pairs`` particles of the distribution function: positions and velocities (3, n_pairs)."""
    r = tracers.draw_radii(n_pairs, rng, r_range)
    cos_t = rng.uniform(-1, 1, n_pairs)
    phi = rng.uniform(0, 2 * np.pi, n_pairs)
    speed = tracers.draw_speeds(r, rng)
    eta = rng.uniform(0, np.pi, n_pairs)  # angle between v and e_r: uniform for beta = 1/2
    psi = rng.uniform(0, 2 * np.pi, n_pairs)  # direction of the tangential velocity
    sin_t = np.sqrt(1 - cos_t**2)
    e_r = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])
    e_t = np.stack([cos_t * np.cos(phi), cos_t * np.sin(phi), -sin_t])
    e_p = np.stack([-np.sin(phi), np.cos(phi), np.zeros(n_pairs)])
    v_t = speed * np.sin(eta)
    v = e_r * speed * np.cos(eta) + e_t * v_t * np.cos(psi) + e_p * v_t * np.sin(psi)
    return r * e_r, v


def reaches(pos, vel, radius: float) -> np.ndarray:
    """Whether each particle's orbit in the Milky Way monopole reaches ``radius`` (kpc): it is
    beyond it now, or its relative energy Psi(r) - v^2/2 is at most Psi(R) - L^2 / (2 R^2)."""
    r = np.linalg.norm(pos, axis=0)
    ang2 = np.sum(np.cross(pos.T, vel.T) ** 2, axis=1)
    energy = relative_potential(r) - 0.5 * np.sum(vel**2, axis=0)
    return (r >= radius) | (energy <= relative_potential(radius) - ang2 / (2.0 * radius**2))


def draw_halo(n: int, rng, *, tracers: HaloTracers | None = None, r_range=(0.5, 500.0), reach_kpc: float = 12.0):
    """``n`` tracers (even; mirror pairs) of the halo, positions (kpc) and velocities (km/s),
    each (3, n), centred on the Milky Way at rest.

    Only particles whose orbits reach beyond ``reach_kpc`` are kept (drawn until there are
    ``n``): the others never enter the shells that are measured (beyond ~20 kpc), and
    following their short inner orbits would cost most of the integration.

    Parameters
    ----------
    n : int
        Number of particles (even, >= 2).
    rng : int or numpy.random.Generator
        Seed or generator of every draw.
    tracers : HaloTracers, optional
        Density and distribution function (default `HaloTracers()`).
    r_range : (float, float)
        Radii (kpc) between which the tracers are drawn: the inner edge well inside the
        radii that are measured (particles on orbits that reach inside it are missing), the
        outer edge far enough that particles beyond it do not fall in within the simulation.
    reach_kpc : float
        Keep the particles whose orbits (in the monopole, `reaches`) reach beyond it, kpc
        (0 keeps all).
    """
    n = check_integer("n", n, low=2)
    if n % 2:
        raise ValueError(f"n must be even (particles come in mirror pairs), got {n}")
    r_lo, r_hi = check_interval("r_range", r_range, low=0, unit="kpc")
    if r_lo == 0:
        raise ValueError(f"r_range must start above 0 kpc, got {r_range}")
    reach_kpc = check_real("reach_kpc", reach_kpc, low=0, high=r_hi, unit="kpc")
    tracers = HaloTracers() if tracers is None else tracers
    rng = make_generator("rng", rng)
    half, pos, vel = n // 2, [], []
    while sum(p.shape[1] for p in pos) < half:
        p, v = _draw(half, rng, tracers, (r_lo, r_hi))
        keep = reaches(p, v, reach_kpc) if reach_kpc > 0 else np.ones(half, bool)
        pos.append(p[:, keep])
        vel.append(v[:, keep])
    pos, vel = np.concatenate(pos, axis=1)[:, :half], np.concatenate(vel, axis=1)[:, :half]
    return np.concatenate([pos, -pos], axis=1), np.concatenate([vel, -vel], axis=1)
