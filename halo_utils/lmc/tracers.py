"""A stellar halo of test particles in equilibrium in the Milky Way (conventions §14).

The tracers' number density is a broken power law, nu ∝ r^-slope_inner inside ``r_break``
and r^-slope_outer beyond (default 2 and 3.5 at 20 kpc: shallow inside, so that few particles
are spent on the inner Galaxy, and the outer halo's slope beyond). Their velocities follow the
distribution function of constant anisotropy beta (default 1/2, radially biased, as the outer
halo is measured to be),

    f(E, L) = L^-2beta f_E(E),

in the monopole of a Milky Way potential (`~halo_utils.lmc.milky_way.radial_force`; the
relative potential Psi = -Phi vanishes at infinity). f_E follows from nu by the inversion of
Cuddeford (1991): with rho~(Psi) = r^2beta nu(r) along the potential,

    f_E(E) = D^(3/2 - beta) rho~ (E) / (2^(3/2 - beta) pi^(3/2) Gamma(1 - beta)),

D^q the Riemann-Liouville derivative of order q in Psi. For beta = 1/2 that is the single
derivative d(r nu)/dPsi / (2 pi^2); otherwise it is computed as d/dE of the fractional
integral of order 1/2 + beta of d rho~/dPsi, by product integration on the radial grid
(rho~ piecewise linear in Psi, the kernel (E - Psi)^(beta - 1/2) integrated exactly), for
-1/2 < beta < 1. A positive f_E needs slope_inner >= 2 beta (An & Evans 2006). The halo is
an exact equilibrium of the spherical potential: at fixed r the speed v has density
∝ f_E(Psi(r) - v^2/2) v^(2 - 2beta) on [0, v_esc], the angle eta between v and e_r density
∝ sin^(1 - 2beta) eta on [0, pi] (uniform for beta = 1/2; (1 + cos eta) / 2 follows a Beta
distribution of parameters 1 - beta, 1 - beta), and the tangential direction is uniform.
Beyond ~15 kpc, where the simulation measures, the disc's flattening changes the monopole by
< 1 %.

Particles come in mirror pairs, (x, v) and (-x, -v): the Milky Way potential is symmetric
under that reflection, so without the LMC each pair's mean velocity stays exactly zero, and
the bulk velocity of a shell measures the LMC's effect with no shot noise from the initial
draw (antithetic sampling).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import cumulative_trapezoid
from scipy.special import gamma

from ..dynamics import POTENTIAL
from ..validation import check_integer, check_interval, check_real, make_generator
from .milky_way import radial_force

__all__ = ["relative_potential", "HaloTracers", "jeans_sigma_r", "reaches", "draw_halo"]

#: Radial grid of the monopole and the distribution function, kpc: fine enough that Psi
#: changes by < 1e-3 between neighbours, wide enough that nu r and Psi are ~0 at its end.
_GRID = np.geomspace(1e-2, 1e6, 6000)
#: Rows of the product-integration matrix computed at once (bounds its memory to ~25 MB).
_ROWS_PER_CHUNK = 500


def _psi_on_grid(potential) -> np.ndarray:
    """Psi = -Phi of the monopole of ``potential`` at the `_GRID` radii, (km/s)^2."""
    force = radial_force(_GRID, potential)
    cumulative = cumulative_trapezoid(force, _GRID, initial=0.0)
    return cumulative[-1] - cumulative + force[-1] * _GRID[-1]  # beyond the grid: a point mass


def _interpolate_psi(r, psi_grid) -> np.ndarray:
    return np.exp(np.interp(np.log(r), np.log(_GRID), np.log(psi_grid)))


def relative_potential(r, potential=None) -> np.ndarray:
    """Psi(r) = integral_r^inf dPhi/dr' dr' of the monopole of ``potential`` (default
    `~halo_utils.dynamics.POTENTIAL`), (km/s)^2 (> 0, 0 at infinity)."""
    return _interpolate_psi(r, _psi_on_grid(potential))


def _energy_function(psi, rho_tilde, beta) -> np.ndarray:
    """f_E at the grid energies E = ``psi`` (the Cuddeford inversion of the module docstring)."""
    norm = 2.0 ** (1.5 - beta) * np.pi**1.5 * gamma(1.0 - beta)
    if beta == 0.5:  # an integer order: the plain derivative, by the chain rule on the radial grid
        return np.gradient(rho_tilde, _GRID) / np.gradient(psi, _GRID) / (2 * np.pi**2)
    order = psi.argsort()
    x, y = psi[order], rho_tilde[order]
    slope = np.diff(y) / np.diff(x)  # d rho~/dPsi on each interval (rho~ piecewise linear)
    alpha = 0.5 + beta  # order of the fractional integral
    integral = np.zeros(x.size)
    for lo in range(1, x.size, _ROWS_PER_CHUNK):
        e = x[lo:lo + _ROWS_PER_CHUNK, None]
        # int over [x_j, x_j+1] of (E - Psi)^(alpha - 1) dPsi, zero where x_j >= E
        left = np.clip(e - x[None, :-1], 0.0, None) ** alpha
        right = np.clip(e - x[None, 1:], 0.0, None) ** alpha
        integral[lo:lo + _ROWS_PER_CHUNK] = (left - right) @ slope
    integral /= gamma(alpha + 1.0)
    f = np.empty(x.size)
    f[order] = np.gradient(integral, x) / norm
    return f


class HaloTracers:
    """The tracer density and its constant-beta distribution function (see the module docstring).

    Parameters
    ----------
    slope_inner, slope_outer : float
        nu ∝ r^-slope inside and beyond ``r_break`` (each > 1, so that r nu falls; slope_inner
        >= 2 beta).
    r_break : float
        Break radius, kpc (> 0).
    beta : float
        The velocity anisotropy, 1 - sigma_t^2 / (2 sigma_r^2), the same at every radius
        (-1/2 < beta < 1).
    potential : gala potential, optional
        The Milky Way (default `~halo_utils.dynamics.POTENTIAL`; e.g.
        `~halo_utils.lmc.milky_way.scaled_milky_way`).
    """

    def __init__(self, slope_inner: float = 2.0, slope_outer: float = 3.5, r_break: float = 20.0,
                 beta: float = 0.5, potential=None):
        self.slope_inner = check_real("slope_inner", slope_inner, low=1, low_open=True, why="r nu must fall")
        self.slope_outer = check_real("slope_outer", slope_outer, low=1, low_open=True, why="r nu must fall")
        self.r_break = check_real("r_break", r_break, low=0, low_open=True, unit="kpc")
        self.beta = check_real("beta", beta, low=-0.5, high=1, low_open=True, high_open=True,
                               why="the inversion is computed for -1/2 < beta < 1")
        if self.slope_inner < 2 * self.beta:
            raise ValueError(f"slope_inner must be at least 2 beta = {2 * self.beta:g} for a positive distribution "
                             f"function (An & Evans 2006), got {self.slope_inner}")
        self.potential = POTENTIAL if potential is None else potential
        self._psi = _interpolate_psi(_GRID, _psi_on_grid(self.potential))  # as relative_potential() gives it
        self._g = _energy_function(self._psi, _GRID ** (2 * self.beta) * self.density(_GRID), self.beta)
        # The sharp break is a kink in rho~, which for beta < 1/2 gives f_E a weak negative
        # spike just above Psi(r_break) (the derivative of order 3/2 - beta > 1 of a kink), within
        # 1e-5 of the peak (a few 1e-6 for 0 < beta < 1/2): g() clips it to zero. Anything
        # larger means no equilibrium.
        if np.min(self._g) < -1e-5 * np.max(self._g):
            raise ValueError(f"the distribution function of these tracers with beta = {self.beta:g} is negative "
                             "somewhere: no equilibrium halo has them")

    def density(self, r) -> np.ndarray:
        """nu(r), normalised to 1 at ``r_break`` (per kpc^3)."""
        x = np.asarray(r, float) / self.r_break
        return np.where(x < 1, x ** -self.slope_inner, x ** -self.slope_outer)

    def relative_potential(self, r) -> np.ndarray:
        """Psi(r) of the tracers' potential, (km/s)^2."""
        return _interpolate_psi(r, self._psi)

    def g(self, energy) -> np.ndarray:
        """f_E(E) at relative energies E = Psi - v^2/2 ((km/s)^2; 0 for E <= 0)."""
        e = np.asarray(energy, float)
        order = np.argsort(self._psi)
        out = np.interp(e, self._psi[order], self._g[order], left=0.0, right=self._g[order][-1])
        return np.where(e > 0, np.maximum(out, 0.0), 0.0)

    def draw_radii(self, n: int, rng, r_range) -> np.ndarray:
        """``n`` radii (kpc) from r^2 nu(r) between ``r_range``."""
        r = np.geomspace(*r_range, 4000)
        cdf = cumulative_trapezoid(r**3 * self.density(r), np.log(r), initial=0.0)
        return np.exp(np.interp(rng.uniform(size=n) * cdf[-1], cdf, np.log(r)))

    def draw_speeds(self, r, rng, n_speeds: int = 512) -> np.ndarray:
        """Speeds (km/s) at radii ``r`` (kpc) from f_E(Psi(r) - v^2/2) v^(2 - 2 beta) on [0, v_esc(r)]."""
        k = np.clip(np.searchsorted(_GRID, r), 0, _GRID.size - 1)  # the grid radius just outside
        rows, inverse = np.unique(k, return_inverse=True)
        frac = np.linspace(0.0, 1.0, n_speeds)
        v = np.sqrt(2.0 * self._psi[rows])[:, None] * frac[None]  # (rows, n_speeds)
        pdf = self.g(self._psi[rows][:, None] - 0.5 * v**2) * v ** (2.0 - 2.0 * self.beta)
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

    def draw_angles(self, n: int, rng) -> np.ndarray:
        """``n`` angles eta (rad) between velocity and e_r, density ∝ sin^(1 - 2 beta) eta on [0, pi]."""
        if self.beta == 0.5:
            return rng.uniform(0, np.pi, n)
        return np.arccos(2.0 * rng.beta(1.0 - self.beta, 1.0 - self.beta, n) - 1.0)


def jeans_sigma_r(r, slope: float, beta: float, potential=None) -> np.ndarray:
    """sigma_r (km/s) at radii ``r`` (kpc) of tracers with nu ∝ r^-slope and constant ``beta``
    in the monopole of ``potential`` (default `~halo_utils.dynamics.POTENTIAL`), from the
    spherical Jeans equation,
    sigma_r^2(r) = r^(slope - 2 beta) integral_r^inf r'^(2 beta - slope) dPhi/dr' dr'
    (needs slope - 2 beta > 1). The tests check `HaloTracers` against it."""
    slope = check_real("slope", slope, low=0, low_open=True)
    beta = check_real("beta", beta, high=1, high_open=True)
    if slope - 2 * beta <= 1:
        raise ValueError(f"the Jeans integral needs slope - 2 beta > 1, got slope {slope} and beta {beta}")
    r = np.asarray(r, float)
    integrand = _GRID ** (2 * beta - slope) * radial_force(_GRID, potential)
    # int_r^inf summed from the outside in: the integral from the centre is larger by up to
    # 10^10 (r^-3.5 at 0.01 kpc), and a difference of two such sums would be rounding
    segments = 0.5 * (integrand[1:] + integrand[:-1]) * np.diff(_GRID)
    tail = np.concatenate([np.cumsum(segments[::-1])[::-1], [0.0]])
    keep = tail > 0  # the last point is beyond the grid's integral
    log_sigma2 = np.log(tail[keep] * _GRID[keep] ** (slope - 2 * beta))
    return np.sqrt(np.exp(np.interp(np.log(r), np.log(_GRID[keep]), log_sigma2)))


def _draw(n_pairs, rng, tracers, r_range):
    """``n_pairs`` particles of the distribution function: positions and velocities (3, n_pairs)."""
    r = tracers.draw_radii(n_pairs, rng, r_range)
    cos_t = rng.uniform(-1, 1, n_pairs)
    phi = rng.uniform(0, 2 * np.pi, n_pairs)
    speed = tracers.draw_speeds(r, rng)
    eta = tracers.draw_angles(n_pairs, rng)  # angle between v and e_r
    psi = rng.uniform(0, 2 * np.pi, n_pairs)  # direction of the tangential velocity
    sin_t = np.sqrt(1 - cos_t**2)
    e_r = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])
    e_t = np.stack([cos_t * np.cos(phi), cos_t * np.sin(phi), -sin_t])
    e_p = np.stack([-np.sin(phi), np.cos(phi), np.zeros(n_pairs)])
    v_t = speed * np.sin(eta)
    v = e_r * speed * np.cos(eta) + e_t * v_t * np.cos(psi) + e_p * v_t * np.sin(psi)
    return r * e_r, v


def reaches(pos, vel, radius: float, potential=None) -> np.ndarray:
    """Whether each particle's orbit in the monopole of ``potential`` (default
    `~halo_utils.dynamics.POTENTIAL`) reaches ``radius`` (kpc): it is beyond it now, or its
    relative energy Psi(r) - v^2/2 is at most Psi(R) - L^2 / (2 R^2)."""
    psi_grid = _psi_on_grid(potential)
    r = np.linalg.norm(pos, axis=0)
    ang2 = np.sum(np.cross(pos.T, vel.T) ** 2, axis=1)
    energy = _interpolate_psi(r, psi_grid) - 0.5 * np.sum(vel**2, axis=0)
    return (r >= radius) | (energy <= _interpolate_psi(radius, psi_grid) - ang2 / (2.0 * radius**2))


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
        Density, anisotropy, Milky Way potential and distribution function (default
        `HaloTracers()`).
    r_range : (float, float)
        Radii (kpc) between which the tracers are drawn: the inner edge well inside the
        radii that are measured (particles on orbits that reach inside it are missing), the
        outer edge far enough that particles beyond it do not fall in within the simulation.
    reach_kpc : float
        Keep the particles whose orbits (in the tracers' monopole, `reaches`) reach beyond it, kpc
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
        keep = reaches(p, v, reach_kpc, tracers.potential) if reach_kpc > 0 else np.ones(half, bool)
        pos.append(p[:, keep])
        vel.append(v[:, keep])
    pos, vel = np.concatenate(pos, axis=1)[:, :half], np.concatenate(vel, axis=1)[:, :half]
    return np.concatenate([pos, -pos], axis=1), np.concatenate([vel, -vel], axis=1)
