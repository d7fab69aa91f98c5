"""Tilted triaxial multiply broken power-law density of the accreted halo (SPEC section 6.1).

Coordinates are Galactocentric Cartesian (kpc, `halo_utils.frames.GALCEN_FRAME`). The
ellipsoid frame is x' = R_y(pitch) R_z(-yaw) x, which maps the major-axis unit vector
a = (cos pitch cos yaw, cos pitch sin yaw, sin pitch) to (1, 0, 0) (roll 0), and

    r_q^2 = x'^2 + (y'/p)^2 + (z'/q)^2,   1 >= p >= q > 0.

The radial profile is continuous with breaks at r1 < r2:
rho0 (r_q/r1)^-a1 (r_q < r1), rho0 (r_q/r1)^-a2 (r1 <= r_q < r2),
rho0 (r2/r1)^-a2 (r_q/r2)^-a3 (r_q >= r2).
"""

from __future__ import annotations

import numpy as np

from .cuts import GSE_RADIAL_RANGE_KPC
from .fingerprint import fingerprint
from .survey import GIANTS_PER_MSUN
from .validation import check_integer

__all__ = [
    "rotation_matrix",
    "ellipsoidal_radius",
    "broken_power_law",
    "shell_integral",
    "density",
    "PARAM_NAMES",
    "PRIOR_BOUNDS",
    "MODEL_NAMES",
    "DensityModel",
    "get_model",
    "profile_likelihood_ratio",
    "profile_likelihood_ratios",
    "truth_consistency",
    "log_prior",
    "check_params",
    "stellar_mass",
    "monomials",
    "log_number_density",
    "SelectionGrid",
    "Stars",
    "log_likelihood",
    "log_probability",
    "aic",
    "relative_likelihoods",
    "fit_mle",
    "laplace_errors",
    "DensityPosterior",
    "fit_emcee",
    "KinematicCompleteness",
    "apply_completeness",
    "node_radius",
    "radial_counts",
    "effective_volume",
    "sky_counts",
]


def rotation_matrix(pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """R_y(pitch) R_z(-yaw): Galactocentric axes to the ellipsoid's principal axes."""
    p, y = np.deg2rad(pitch_deg), np.deg2rad(yaw_deg)
    r_y = np.array([[np.cos(p), 0.0, np.sin(p)], [0.0, 1.0, 0.0], [-np.sin(p), 0.0, np.cos(p)]])
    r_z = np.array([[np.cos(y), np.sin(y), 0.0], [-np.sin(y), np.cos(y), 0.0], [0.0, 0.0, 1.0]])
    return r_y @ r_z


def ellipsoidal_radius(pos, p: float, q: float, pitch: float = 0.0, yaw: float = 0.0):
    """Ellipsoidal radius r_q (kpc) of Galactocentric positions ``pos`` of shape (3, ...)."""
    xp = np.einsum("ij,j...->i...", rotation_matrix(pitch, yaw), np.asarray(pos, float))
    return np.sqrt(xp[0] ** 2 + (xp[1] / p) ** 2 + (xp[2] / q) ** 2)


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


def shell_integral(alphas, breaks, r_min: float, r_max: float) -> float:
    """Integral of r^2 * broken_power_law(r) dr over [r_min, r_max] (analytic)."""
    edges = [r_min] + [b for b in breaks if r_min < b < r_max] + [r_max]
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (lo + hi)
        seg = int(np.searchsorted(breaks, mid, side="right"))
        amp = float(broken_power_law(mid, alphas, breaks) * mid ** alphas[seg])
        total += amp * _power_integral(lo, hi, 2.0 - alphas[seg])
    return total


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
    """
    r_q = ellipsoidal_radius(pos, p, q, pitch, yaw)
    norm = total / (4.0 * np.pi * p * q * shell_integral(alphas, breaks, r_min, r_max))
    return norm * broken_power_law(r_q, alphas, breaks)


# ====================================================================== models

#: Every parameter of the fiducial model (radii kpc, angles deg, mass log10 Msun).
PARAM_NAMES = ("alpha1", "alpha2", "alpha3", "r1", "r2", "p", "q", "pitch", "yaw", "log10_mass")

#: Uniform prior ranges. Besides these, p >= q and r1 < r2 are required.
PRIOR_BOUNDS = {
    "alpha1": (0.0, 10.0), "alpha2": (0.0, 10.0), "alpha3": (0.0, 10.0),
    "r1": GSE_RADIAL_RANGE_KPC, "r2": GSE_RADIAL_RANGE_KPC,  # breaks inside the sample
    "p": (0.1, 1.0), "q": (0.1, 1.0),
    "pitch": (-90.0, 90.0), "yaw": (-90.0, 90.0),
    "log10_mass": (5.0, 12.0),
}

_GEOMETRIES = {
    # geometry: (free shape parameters, fixed values)
    "spherical": ((), {"p": 1.0, "q": 1.0, "pitch": 0.0, "yaw": 0.0}),
    "oblate": (("q",), {"p": 1.0, "pitch": 0.0, "yaw": 0.0}),
    "triaxial_aligned": (("p", "q"), {"pitch": 0.0, "yaw": 0.0}),
    "triaxial": (("p", "q", "pitch", "yaw"), {}),
}
_BREAKS = {
    "no_break": (("alpha1",), {"alpha2": 0.0, "alpha3": 0.0, "r1": 1.0, "r2": 1.0}),
    "single_break": (("alpha1", "alpha2", "r1"), {"alpha3": 0.0, "r2": 1.0}),
    "double_break": (("alpha1", "alpha2", "alpha3", "r1", "r2"), {}),
}


class DensityModel:
    """A nested variant of the tilted triaxial multiply broken power law.

    Names are ``"<geometry>_<breaks>"`` with geometry in ``spherical``, ``oblate``
    (aligned, p = 1), ``triaxial_aligned`` (pitch = yaw = 0) or ``triaxial`` (tilted), and
    breaks in ``no_break``, ``single_break``, ``double_break``; e.g. the fiducial
    ``"triaxial_double_break"`` and the restricted ``"oblate_single_break"``. A variant
    ignores the parameters it fixes.
    """

    def __init__(self, name: str):
        geometry, _, breaks = name.partition("_") if not name.startswith("triaxial_aligned") else (
            "triaxial_aligned", "_", name[len("triaxial_aligned_"):])
        if geometry not in _GEOMETRIES or breaks not in _BREAKS:
            raise ValueError(f"unknown density model {name!r}; expected one of {sorted(MODEL_NAMES)}")
        self.name, self.geometry, self.breaks = name, geometry, breaks
        free_shape, fixed_shape = _GEOMETRIES[geometry]
        free_radial, fixed_radial = _BREAKS[breaks]
        self.free = tuple(n for n in PARAM_NAMES if n in free_shape or n in free_radial or n == "log10_mass")
        self.fixed = {**fixed_shape, **fixed_radial}
        self.n_breaks = {"no_break": 0, "single_break": 1, "double_break": 2}[breaks]

    def __repr__(self):
        return f"DensityModel({self.name!r})"

    @property
    def ndim(self) -> int:
        return len(self.free)

    def complete(self, params: dict) -> dict:
        """All of `PARAM_NAMES`: the free ones from ``params``, the fixed ones set."""
        unknown = sorted(set(params) - set(PARAM_NAMES))
        if unknown:
            raise ValueError(f"unknown density parameter(s) {unknown}; expected names from {list(PARAM_NAMES)}")
        missing = [n for n in self.free if n not in params]
        if missing:
            raise ValueError(f"model {self.name!r} needs parameter(s) {missing}")
        return {**{n: float(params[n]) for n in self.free}, **self.fixed}

    def vector(self, params: dict) -> np.ndarray:
        """Free parameters as a vector in the order of ``self.free``."""
        return np.array([float(params[n]) for n in self.free])

    def params(self, vector) -> dict:
        """Inverse of `vector`."""
        return dict(zip(self.free, np.asarray(vector, float)))

    def alphas_breaks(self, full: dict):
        """(alphas, breaks) of `broken_power_law` for this variant."""
        a = (full["alpha1"], full["alpha2"], full["alpha3"])[: self.n_breaks + 1]
        b = (full["r1"], full["r2"])[: self.n_breaks]
        return a, b

    def problems(self, params: dict) -> list:
        """Human-readable reasons why ``params`` are outside the prior (empty if fine)."""
        full = self.complete(params)
        out = []
        for name in self.free:
            value = full[name]
            lo, hi = PRIOR_BOUNDS[name]
            if not np.isfinite(value):
                out.append(f"{name} = {value} is not finite")
            elif not lo <= value <= hi:
                out.append(f"{name} = {value:g} outside its prior range [{lo:g}, {hi:g}]")
        if full["q"] > full["p"]:
            out.append(f"q = {full['q']:g} > p = {full['p']:g} (need 1 >= p >= q > 0)")
        if self.n_breaks == 2 and full["r2"] <= full["r1"]:
            out.append(f"r2 = {full['r2']:g} <= r1 = {full['r1']:g} (need r1 < r2)")
        return out


MODEL_NAMES = tuple(f"{g}_{b}" for g in _GEOMETRIES for b in _BREAKS)


def get_model(model) -> DensityModel:
    """A `DensityModel` from its name (or the model itself)."""
    return model if isinstance(model, DensityModel) else DensityModel(str(model))


def log_prior(params: dict, model="triaxial_double_break") -> float:
    """0 inside the uniform prior (with p >= q, r1 < r2), -inf outside; never NaN."""
    return 0.0 if not get_model(model).problems(params) else -np.inf


def check_params(params: dict, model="triaxial_double_break") -> dict:
    """Raise a ValueError naming every bad parameter; return the completed parameters."""
    m = get_model(model)
    bad = m.problems(params)
    if bad:
        raise ValueError(f"bad parameters for {m.name!r}: " + "; ".join(bad))
    return m.complete(params)


def _shape_norm(full, model):
    """Integral of the (unit-amplitude) profile over 1 < r_q < 100: 4 pi p q I."""
    alphas, breaks = model.alphas_breaks(full)
    return 4.0 * np.pi * full["p"] * full["q"] * shell_integral(alphas, breaks, 1.0, 100.0)


def stellar_mass(params: dict, model="triaxial_double_break", r_min=1.0, r_max=100.0) -> float:
    """Stellar mass (Msun) within r_min < r_q < r_max for a model normalised by log10_mass.

    log10_mass is defined as the mass within 1 < r_q < 100 kpc (SPEC 6), so the default
    returns 10**log10_mass; other ranges give e.g. the mass inside 6 kpc that is
    extrapolated from the fit.
    """
    m = get_model(model)
    full = m.complete(params)
    alphas, breaks = m.alphas_breaks(full)
    ratio = shell_integral(alphas, breaks, r_min, r_max) / shell_integral(alphas, breaks, 1.0, 100.0)
    return 10.0 ** full["log10_mass"] * ratio


def _quadratic_form(full):
    """Six coefficients c with r_q^2 = c . (x^2, y^2, z^2, xy, xz, yz)."""
    R = rotation_matrix(full["pitch"], full["yaw"])
    A = R.T @ np.diag([1.0, 1.0 / full["p"] ** 2, 1.0 / full["q"] ** 2]) @ R
    return np.array([A[0, 0], A[1, 1], A[2, 2], 2 * A[0, 1], 2 * A[0, 2], 2 * A[1, 2]])


def monomials(pos) -> np.ndarray:
    """(N, 6) array (x^2, y^2, z^2, xy, xz, yz) of Galactocentric positions (3, N)."""
    x, y, z = np.asarray(pos, float)
    return np.stack([x * x, y * y, z * z, x * y, x * z, y * z], axis=1)


def _log_profile(ln_rq2, full, model):
    """ln of the unit broken power law as a function of ln r_q^2 (branch-free)."""
    a1 = full["alpha1"]
    if model.n_breaks == 0:
        return -0.5 * a1 * ln_rq2
    L1 = 2.0 * np.log(full["r1"])
    a2 = full["alpha2"]
    if model.n_breaks == 1:
        d = ln_rq2 - L1
        return -0.5 * (a1 * np.minimum(d, 0.0) + a2 * np.maximum(d, 0.0))
    L2 = 2.0 * np.log(full["r2"])
    d = ln_rq2 - L1
    return -0.5 * (a1 * np.minimum(d, 0.0) + a2 * np.clip(d, 0.0, L2 - L1)
                   + full["alpha3"] * np.maximum(ln_rq2 - L2, 0.0))


def log_number_density(mono, params: dict, model="triaxial_double_break", giants_per_msun=GIANTS_PER_MSUN):
    """ln of the tracer number density (giants per kpc^3) at positions given as `monomials`."""
    m = get_model(model)
    full = m.complete(params)
    ln_rq2 = np.log(mono @ _quadratic_form(full))
    ln_amp = (full["log10_mass"] * np.log(10.0) + np.log(giants_per_msun) - np.log(_shape_norm(full, m)))
    return ln_amp + _log_profile(ln_rq2, full, m)


# ====================================================================== survey

class SelectionGrid:
    """The survey selection precomputed for the density likelihood (SPEC 6.2).

    Attributes
    ----------
    tiles : Table
        The tiles used (excluded tiles dropped).
    distance : ndarray
        Heliocentric distance nodes, kpc (log-spaced).
    selection : ndarray, shape (n_tiles, n_distance)
        S_t(D): the LF-averaged selection probability of `halo_utils.survey`.
    weight : ndarray, shape (n_tiles, n_distance)
        Quadrature weight Omega_t D^2 dD S_t(D) of each node (zero outside the
        Galactocentric radius range of the sample).
    pos : ndarray, shape (3, n_tiles, n_distance)
        Galactocentric position of each node (on the tile's central line of sight).
    """

    def __init__(self, tiles, distance, selection, r_range=GSE_RADIAL_RANGE_KPC, giants_per_msun=GIANTS_PER_MSUN,
                 inside=None):
        from .frames import icrs_to_galactocentric

        self.tiles = tiles
        self.distance = np.asarray(distance, float)
        self.selection = np.asarray(selection, float)
        self.r_range = tuple(r_range)
        self.giants_per_msun = giants_per_msun
        n_t, n_d = self.selection.shape
        ra = np.repeat(np.asarray(tiles["RA"], float)[:, None], n_d, axis=1)
        dec = np.repeat(np.asarray(tiles["DEC"], float)[:, None], n_d, axis=1)
        dist = np.broadcast_to(self.distance, (n_t, n_d))
        zero = np.zeros((n_t, n_d))
        self.pos, _ = icrs_to_galactocentric(ra, dec, dist, zero, zero, zero)
        ln_d = np.log(self.distance)
        dln = np.gradient(ln_d)
        dln[[0, -1]] *= 0.5  # trapezoid in ln D: D^3 dlnD = D^2 dD
        omega = np.asarray(tiles["solid_angle"], float)[:, None]
        # fraction of each node's cell inside r_range (computed once, reusable)
        self.inside = self._inside_fraction(tiles, ln_d) if inside is None else np.asarray(inside, float)
        self.weight = omega * self.distance**3 * dln * self.selection * self.inside
        keep = self.weight > 0
        # the likelihood only needs the nodes that carry weight
        self._mono = monomials(self.pos[:, keep])
        self._w = self.weight[keep]

    def _inside_fraction(self, tiles, ln_d, n_sub=8):
        """Fraction of each node's ln D cell whose Galactocentric r lies in r_range.

        A hard indicator at the nodes would move the sample's radial edges by up to half a
        cell (1 % in D) in a direction-dependent way; sub-sampling each cell removes that.
        """
        from .frames import icrs_to_galactocentric

        edges = np.concatenate([[ln_d[0]], 0.5 * (ln_d[1:] + ln_d[:-1]), [ln_d[-1]]])
        sub = edges[:-1, None] + (np.arange(n_sub) + 0.5)[None, :] / n_sub * np.diff(edges)[:, None]
        d_sub = np.exp(sub).ravel()
        n_t = len(tiles)
        ra = np.repeat(np.asarray(tiles["RA"], float)[:, None], d_sub.size, axis=1)
        dec = np.repeat(np.asarray(tiles["DEC"], float)[:, None], d_sub.size, axis=1)
        zero = np.zeros(ra.shape)
        pos, _ = icrs_to_galactocentric(ra, dec, np.broadcast_to(d_sub, ra.shape), zero, zero, zero)
        r = np.sqrt(np.sum(pos**2, axis=0)).reshape(n_t, ln_d.size, n_sub)
        return np.mean((r > self.r_range[0]) & (r < self.r_range[1]), axis=2)

    @classmethod
    def from_tiles(cls, tiles, *, lf=None, config=None, distance=None, r_range=GSE_RADIAL_RANGE_KPC,
                   exclude=None, giants_per_msun=GIANTS_PER_MSUN):
        """Precompute S_t(D) from a tile table (done once per survey).

        Parameters
        ----------
        tiles : Table
            Tile table of the survey (`halo_utils.mock.make_tiles` columns plus the fibre
            sampling fractions ``f_rank1``, ``f_rank2``).
        lf : LuminosityFunction, optional
            Tracer luminosity function (default: the giant LF of SPEC 3).
        config : SelectionConfig, optional
            Selection thresholds (default: SPEC 3).
        distance : array_like, optional
            Distance nodes (default: 240 log-spaced nodes between 1 and 150 kpc).
        r_range : (float, float)
            Galactocentric radius range of the sample; nodes outside get zero weight.
        exclude : array_like of bool, optional
            Tiles to leave out (e.g. the satellite fields, whose stars are all cut).
        """
        from .survey import SelectionConfig, effective_selection, giant_luminosity_function, validate_tiles

        validate_tiles(tiles)
        if exclude is not None:
            exclude = np.asarray(exclude)
            if exclude.dtype != bool or exclude.shape != (len(tiles),):
                raise ValueError(f"exclude must hold one boolean per tile ({len(tiles)}), got dtype {exclude.dtype} "
                                 f"and shape {exclude.shape}")
            tiles = tiles[~exclude]
        distance = np.geomspace(1.0, 150.0, 240) if distance is None else np.asarray(distance, float)
        sel = effective_selection(tiles, distance, lf or giant_luminosity_function(), config or SelectionConfig())
        return cls(tiles, distance, sel, r_range=r_range, giants_per_msun=giants_per_msun)

    @classmethod
    def from_nodes(cls, pos, weight, giants_per_msun=GIANTS_PER_MSUN):
        """A survey given directly as Galactocentric nodes (3, ...) and weights (kpc^3).

        For custom geometries and tests: Lambda = sum(weight * n(pos)). The tile-based
        attributes (``tiles``, ``distance``, ``selection``) are None.
        """
        self = cls.__new__(cls)
        self.tiles = self.distance = self.selection = self.inside = None
        self.r_range = (0.0, np.inf)
        self.giants_per_msun = giants_per_msun
        self.pos = np.asarray(pos, float)
        self.weight = np.asarray(weight, float)
        if self.pos.shape[0] != 3 or self.pos.shape[1:] != self.weight.shape:
            raise ValueError("pos must have shape (3, ...) matching weight")
        keep = self.weight > 0
        self._mono = monomials(self.pos[:, keep])
        self._w = self.weight[keep]
        return self

    @property
    def n_nodes(self) -> int:
        """Nodes with non-zero weight (the size of the normalisation sum)."""
        return self._w.size

    def expected_number(self, params: dict, model="triaxial_double_break") -> float:
        """Lambda(theta): the expected number of selected stars."""
        return float(self._w @ np.exp(log_number_density(self._mono, params, model, self.giants_per_msun)))

    def node_rates(self, params: dict, model="triaxial_double_break") -> np.ndarray:
        """Expected number of selected stars per (tile, distance) node, shape (n_tiles, n_D)."""
        mono = monomials(self.pos.reshape(3, -1))
        rho = np.exp(log_number_density(mono, params, model, self.giants_per_msun))
        return self.weight * rho.reshape(self.weight.shape)


# ================================================================== likelihood

class Stars:
    """Star positions prepared for `log_likelihood` (monomials computed once)."""

    def __init__(self, pos):
        pos = np.asarray(pos, float)
        if pos.ndim != 2 or pos.shape[0] != 3:
            raise ValueError(f"positions must have shape (3, N), got {pos.shape}")
        n_bad = int(np.sum(~np.all(np.isfinite(pos), axis=0)))
        if n_bad:
            raise ValueError(f"{n_bad} star positions are NaN or inf")
        self.pos = pos
        self.mono = monomials(pos)

    @classmethod
    def from_table(cls, table):
        """From a table with Galactocentric ``x``, ``y``, ``z`` (kpc) columns."""
        missing = [c for c in "xyz" if c not in table.colnames]
        if missing:
            raise ValueError(f"star table lacks Galactocentric column(s) {missing}")
        return cls(np.stack([np.asarray(table[c], float) for c in "xyz"]))

    def __len__(self):
        return self.pos.shape[1]


def _as_stars(stars):
    if isinstance(stars, Stars):
        return stars
    if hasattr(stars, "colnames"):
        return Stars.from_table(stars)
    return Stars(stars)


def log_likelihood(params: dict, stars, survey: SelectionGrid, model="triaxial_double_break") -> float:
    """Poisson point-process log-likelihood (SPEC 6.2), up to a parameter-free constant.

    ln L = sum_i ln n(x_i | theta) - Lambda(theta), with n the tracer number density at
    the stars' observed positions and Lambda from the survey's precomputed nodes. Raises
    ValueError for parameters outside the prior (use `log_probability` for sampling).
    """
    check_params(params, model)
    stars = _as_stars(stars)
    ln_n = log_number_density(stars.mono, params, model, survey.giants_per_msun)
    return float(np.sum(ln_n) - survey.expected_number(params, model))


def log_probability(vector, stars, survey, model):
    """ln prior + ln likelihood of a free-parameter vector; -inf outside the prior."""
    m = get_model(model)
    params = m.params(vector)
    if m.problems(params):
        return -np.inf
    ln_n = log_number_density(stars.mono, params, m, survey.giants_per_msun)
    return float(np.sum(ln_n) - survey.expected_number(params, m))


def aic(max_log_likelihood: float, n_params: int) -> float:
    """Akaike information criterion 2k - 2 ln L_max."""
    return 2.0 * n_params - 2.0 * max_log_likelihood


def relative_likelihoods(aics: dict) -> dict:
    """exp((AIC_min - AIC_i) / 2) for each model."""
    best = min(aics.values())
    return {k: float(np.exp((best - v) / 2.0)) for k, v in aics.items()}


# ===================================================================== fitting

def _start_guess(model, rng):
    """A random but sensible starting point for the optimiser (mass set afterwards)."""
    g = {"alpha1": rng.uniform(1.0, 3.5), "alpha2": rng.uniform(2.5, 4.5), "alpha3": rng.uniform(3.5, 6.0),
         "r1": rng.uniform(9.0, 18.0), "r2": rng.uniform(22.0, 40.0), "p": rng.uniform(0.7, 0.95),
         "pitch": rng.uniform(-40, 40), "yaw": rng.uniform(-60, 60), "log10_mass": 9.0}
    g["q"] = rng.uniform(0.5, 0.95) * g["p"]
    if model.n_breaks == 0:
        g["alpha1"] = rng.uniform(2.5, 4.5)
    return g


def _profiled_mass(params, stars, survey, model):
    """log10_mass maximising the likelihood at fixed shape: Lambda = N."""
    lam = survey.expected_number(params, model)
    return params["log10_mass"] + np.log10(len(stars) / lam)


# Optimisation coordinates: box-bounded, with r2 = r1 + (r_hi - r1) t and
# q = q_lo + (p - q_lo) s so that r1 < r2 and q <= p hold inside the box.
def _to_opt(params, model):
    x = []
    for n in model.free:
        if n == "log10_mass":
            continue
        if n == "r2":
            hi = PRIOR_BOUNDS["r2"][1]
            x.append((params["r2"] - params["r1"]) / (hi - params["r1"]))
        elif n == "q" and "p" in model.free:
            lo = PRIOR_BOUNDS["q"][0]
            x.append((params["q"] - lo) / (params["p"] - lo))
        else:
            x.append(params[n])
    return np.array(x)


def _from_opt(x, model):
    out, it = {}, iter(x)
    for n in model.free:
        if n == "log10_mass":
            continue
        out[n] = float(next(it))
    if "r2" in out:
        out["r2"] = out["r1"] + (PRIOR_BOUNDS["r2"][1] - out["r1"]) * out["r2"]
    if "q" in out and "p" in model.free:
        lo = PRIOR_BOUNDS["q"][0]
        out["q"] = lo + (out["p"] - lo) * out["q"]
    return out


def _opt_bounds(model):
    b = []
    for n in model.free:
        if n == "log10_mass":
            continue
        if n == "r2" or (n == "q" and "p" in model.free):
            b.append((1e-3, 1.0 - 1e-3))
        else:
            lo, hi = PRIOR_BOUNDS[n]
            b.append((lo + 1e-6, hi - 1e-6))
    return b


def fit_mle(stars, survey: SelectionGrid, model="triaxial_double_break", n_starts: int = 8, rng=None,
            start=None, polish: bool = True):
    """Maximum-likelihood fit from several starts (the amplitude is profiled analytically).

    Parameters
    ----------
    stars : Stars, Table or (3, N) array
        Star positions (Galactocentric, kpc).
    survey : SelectionGrid
        Precomputed selection.
    model : str or DensityModel
        Variant to fit.
    n_starts : int
        Random starting points (plus ``start`` if given).
    rng : numpy.random.Generator
        Source of the starting points.
    start : dict, optional
        An extra starting point (e.g. a previous fit).
    polish : bool
        Polish the best L-BFGS-B result with Nelder-Mead (slower, more robust at kinks).

    Returns
    -------
    dict
        ``params`` (all free parameters, including log10_mass), ``log_likelihood``,
        ``model``, ``n_params`` and ``aic``.
    """
    from .fitting import check_sample_size, maximize

    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    n_starts = check_integer("n_starts", n_starts, low=0 if start is not None else 1,
                             why="random starts, besides `start` if given")
    m = get_model(model)
    stars = _as_stars(stars)
    check_sample_size(len(stars), m.ndim, f"the {m.name} density model")
    if start is not None:  # a misspelt or impossible start must not silently become a random one
        unknown = sorted(set(start) - set(PARAM_NAMES))
        if unknown:
            raise ValueError(f"fit_mle start has unknown parameter(s) {unknown}; expected names from {list(PARAM_NAMES)}")
        bad = [f"{n} = {start[n]!r} outside [{PRIOR_BOUNDS[n][0]:g}, {PRIOR_BOUNDS[n][1]:g}]" for n in start
               if n in m.free and not (np.isfinite(start[n]) and PRIOR_BOUNDS[n][0] <= start[n] <= PRIOR_BOUNDS[n][1])]
        if bad:
            raise ValueError(f"fit_mle start lies outside the prior of {m.name!r}: " + "; ".join(bad))

    def profiled(x):
        shape = _from_opt(x, m)
        params = {**shape, "log10_mass": 9.0}
        if m.problems(params):
            return -np.inf
        params["log10_mass"] = _profiled_mass(params, stars, survey, m)
        return log_probability(m.vector(params), stars, survey, m)

    guesses = [_start_guess(m, rng) for _ in range(n_starts)]
    if start is not None:
        guesses.insert(0, {**_start_guess(m, rng), **start})
    starts = [_to_opt(g, m) for g in guesses]
    x, _, _ = maximize(profiled, starts, bounds=_opt_bounds(m), polish=polish)
    shape = _from_opt(x, m)
    params = {**shape, "log10_mass": 9.0}
    params["log10_mass"] = _profiled_mass(params, stars, survey, m)
    params = {n: params[n] for n in m.free}
    lnl = log_likelihood(params, stars, survey, m)
    return {"params": params, "log_likelihood": lnl, "model": m.name, "n_params": m.ndim,
            "aic": aic(lnl, m.ndim)}


#: Finite-difference steps (natural units) for Laplace errors.
_HESS_STEPS = {"alpha1": 0.01, "alpha2": 0.01, "alpha3": 0.02, "r1": 0.05, "r2": 0.1, "p": 0.002,
               "q": 0.002, "pitch": 0.2, "yaw": 0.2, "log10_mass": 0.002}


def laplace_errors(fit: dict, stars, survey: SelectionGrid) -> dict:
    """Covariance of the free parameters at a maximum-likelihood fit (inverse Hessian).

    Returns ``{"names", "cov", "sigma": {name: 1-sigma}}``.
    """
    from .fitting import laplace_covariance

    m = get_model(fit["model"])
    stars = _as_stars(stars)
    x = m.vector(fit["params"])
    cov = laplace_covariance(lambda v: log_probability(v, stars, survey, m), x,
                             [_HESS_STEPS[n] for n in m.free])
    return {"names": m.free, "cov": cov, "sigma": dict(zip(m.free, np.sqrt(np.diag(cov))))}


def profile_likelihood_ratio(fit: dict, stars, survey: SelectionGrid, name: str, value: float,
                             starts=()) -> float:
    """Profile-likelihood ratio statistic 2 [ln L_max - max ln L | name = value].

    One parameter of `profile_likelihood_ratios`; see there.
    """
    return profile_likelihood_ratios(fit, stars, survey, {name: value}, starts=starts)[name]


def profile_likelihood_ratios(fit: dict, stars, survey: SelectionGrid, values: dict, starts=()) -> dict:
    """Profile-likelihood ratio statistics 2 [ln L_max - max ln L | name = value], per name.

    For each ``name: value`` the other shape parameters are re-maximised and the
    amplitude is profiled analytically. By Wilks' theorem the statistic at the true value
    is chi^2 with one degree of freedom, so ``<= 1`` (``<= 3.84``) defines the 68.3 %
    (95 %) profile-likelihood interval: unlike the Laplace interval it follows a skewed,
    kinked or two-peaked likelihood, as the break radii's is (an inner slope near 0 with
    r1 just inside the data, or the true slope with r1 further out).

    The constrained maximisation is Powell's method along the principal axes of the
    Hessian at the MLE (in the optimiser's coordinates, computed once for all names),
    started from the Gaussian conditional maximum. Finite-difference L-BFGS-B stopped
    after one iteration on such profiles (2 dlnL = 47 where this finds 4.4 on one mock).

    Parameters
    ----------
    fit : dict
        Result of `fit_mle` (the unconstrained maximum).
    stars, survey
        As for `log_likelihood`.
    values : dict
        ``{free parameter: value}`` in natural units (kpc, deg, ...).
    starts : sequence of dict, optional
        Further points to start each constrained maximisation from (the parameter is set
        to its value in each). Each start only adds a candidate, so more starts can only
        tighten the constrained maximum.

    Returns
    -------
    dict
        ``{name: statistic >= 0}``.
    """
    from scipy import optimize

    from .fitting import hessian

    m = get_model(fit["model"])
    stars = _as_stars(stars)
    for name in values:
        if name not in m.free:
            raise ValueError(f"{name!r} is not a free parameter of {m.name}: {m.free}")
    shape = [n for n in m.free if n != "log10_mass"]
    bounds = np.array(_opt_bounds(m))
    steps = np.array([2e-3 if n == "r2" or (n == "q" and "p" in m.free) else _HESS_STEPS[n] for n in shape])
    x_mle = _to_opt(fit["params"], m)
    peak = log_likelihood(fit["params"], stars, survey, m)

    def lnl(x, name=None, value=None):
        # x: all shape coordinates of `_to_opt`; `name` is held at `value` in natural units
        # (r2 and q are relative coordinates in x); the amplitude is fixed or profiled
        params = {**_from_opt(x, m), "log10_mass": 9.0}
        if name is not None:
            params[name] = value
        mass = value if name == "log10_mass" else None
        if m.problems(params):
            return -np.inf
        if mass is None:
            params["log10_mass"] = _profiled_mass(params, stars, survey, m)
        return log_probability(m.vector(params), stars, survey, m)

    inner = np.clip(x_mle, bounds[:, 0] + steps, bounds[:, 1] - steps)
    neg_h = -hessian(lnl, inner, steps) if shape else np.zeros((0, 0))
    out = {}
    for name, value in values.items():
        mass = value if name == "log10_mass" else None
        keep = np.array([n != name for n in shape], dtype=bool)

        def embed(y, x_fixed):
            x = x_fixed.copy()
            x[keep] = y
            return x

        cands = []
        for cand in (fit["params"], *starts):
            x = _to_opt({**fit["params"], **cand, **({} if mass is not None else {name: value})}, m)
            cands.append(x)
        if not keep.any() or not shape:
            best = max(lnl(x, name, value) for x in cands)
        else:
            sub = neg_h[np.ix_(keep, keep)]
            w, vec = np.linalg.eigh(sub) if np.all(np.isfinite(sub)) else (np.zeros(1), None)
            direc = (vec / np.sqrt(w)).T if np.all(w > 0) else None
            if direc is not None and mass is None:
                # Gaussian conditional maximum: the MLE shifted along the correlations
                x0 = cands[0].copy()
                j = shape.index(name)
                x0[keep] = x_mle[keep] - np.linalg.solve(sub, neg_h[keep, j]) * (x0[j] - x_mle[j])
                cands[0] = x0
            best = -np.inf
            for x_fixed in cands:
                y0 = np.clip(x_fixed[keep], bounds[keep, 0], bounds[keep, 1])

                def objective(y):
                    val = lnl(embed(y, x_fixed), name, value)
                    return -val if np.isfinite(val) else 1e300

                # ftol: Powell stops when a sweep gains < ~1e-3 in ln L (|ln L| ~ 1e4)
                res = optimize.minimize(objective, y0, method="Powell", bounds=bounds[keep],
                                        options={"direc": direc, "xtol": 1e-2, "ftol": 1e-7})
                best = max(best, -res.fun if res.fun < 1e299 else -np.inf, lnl(embed(y0, x_fixed), name, value))
        out[name] = float(max(0.0, 2.0 * (peak - best)))
    return out


def truth_consistency(stars, survey: SelectionGrid, truth: dict, model="triaxial_double_break", rng=None) -> dict:
    """How far a sample's maximum likelihood sits from a known truth, in the likelihood's own units.

    Fits the sample from the truth (the amplitude profiled), then reports for every shape
    parameter the MLE, its Laplace pull and its profile-likelihood ratio at the truth, and
    the full likelihood ratio ``2 [ln L_max - ln L(truth shape, profiled amplitude)]``,
    chi^2 with (free parameters - 1) degrees of freedom when the truth is right: a small
    p-value means the sample is an unusual draw of the model, or the model is not the
    generator.

    Returns
    -------
    dict
        ``fit``, ``params`` ({name: {"mle", "truth", "sigma", "pull", "profile_lr"}}),
        ``full_lr``, ``dof`` and ``p_value``.
    """
    from scipy import stats

    m = get_model(model)
    stars = _as_stars(stars)
    rng = rng if rng is not None else np.random.default_rng(0)
    shape = {n: float(truth[n]) for n in m.free if n != "log10_mass"}
    at_truth = {**shape, "log10_mass": 9.0}
    at_truth["log10_mass"] = _profiled_mass(at_truth, stars, survey, m)
    fit = fit_mle(stars, survey, m, n_starts=0, rng=rng, start=at_truth)
    try:
        sigma = laplace_errors(fit, stars, survey)["sigma"]
    except ValueError:  # not at a maximum
        sigma = {n: np.nan for n in m.free}
    plr = profile_likelihood_ratios(fit, stars, survey, shape)
    full = max(0.0, 2.0 * (fit["log_likelihood"] - log_likelihood(at_truth, stars, survey, m)))
    dof = len(shape)
    params = {n: {"mle": fit["params"][n], "truth": v, "sigma": float(sigma[n]),
                  "pull": float((fit["params"][n] - v) / sigma[n]), "profile_lr": plr[n]}
              for n, v in shape.items()}
    return {"fit": fit, "params": params, "full_lr": float(full), "dof": dof,
            "p_value": float(stats.chi2.sf(full, dof))}


class DensityPosterior:
    """Picklable ln-posterior of a free-parameter vector, for emcee and its pools."""

    def __init__(self, stars, survey: SelectionGrid, model="triaxial_double_break"):
        self.stars, self.survey, self.model = _as_stars(stars), survey, get_model(model)

    def __call__(self, vector):
        return log_probability(vector, self.stars, self.survey, self.model)

    def __getstate__(self):
        return {"stars": self.stars, "survey": self.survey, "model": self.model.name}

    def __setstate__(self, state):
        self.stars, self.survey, self.model = state["stars"], state["survey"], get_model(state["model"])


def fit_emcee(stars, survey: SelectionGrid, model="triaxial_double_break", *, start: dict, rng,
              n_walkers=None, n_steps_max=20000, pool=None, backend_path=None, restart=False,
              check_every=500, init_scale=None, n_tau=50):
    """Sample the posterior with emcee (uniform priors of `PRIOR_BOUNDS`).

    Walkers start in a small Gaussian ball around ``start`` (typically the MLE; it must lie
    inside the prior) and run until the chain exceeds ``n_tau`` autocorrelation times (or
    ``n_steps_max``), with emcee's differential-evolution moves (80 % DEMove, 20 %
    DESnookerMove). Every random draw, the moves' included, comes from ``rng``: the same
    seed gives the same chain. With ``backend_path`` the chain is stored in HDF5 with a
    fingerprint of the stars, the survey, the model and the start; a killed run resumes
    from its last step when called again with the same arguments (a different fingerprint
    is refused unless ``restart=True``). ``pool`` may be any object with a ``map`` method.

    Returns
    -------
    dict
        ``samples`` (flat; the burn-in of `run_emcee` or 3 tau, whichever is longer, dropped
        and thinned by tau / 2; both capped for chains shorter than 6 tau), ``names``,
        ``tau``, ``converged``, ``n_steps``, ``acceptance``, ``n_walkers``, ``summary``
        (percentiles per parameter), ``resumed`` and ``sampler``.
    """
    from .fitting import chain_summary, check_sample_size, run_emcee

    m = get_model(model)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    check_sample_size(len(_as_stars(stars)), m.ndim, f"the {m.name} density model")
    n_walkers = n_walkers or max(4 * m.ndim, 32)
    n_walkers = check_integer("n_walkers", n_walkers, low=3 * m.ndim, why="3 x the number of parameters")
    bad = m.problems(start)
    if bad:
        raise ValueError(f"fit_emcee start lies outside the prior of {m.name!r}: " + "; ".join(bad))
    x0 = m.vector(start)
    scale = np.array([(init_scale or {}).get(n, _HESS_STEPS[n]) for n in m.free])
    p0 = []
    # a start on a prior edge keeps about half of its trials; 1000 x n_walkers is never reached
    for _ in range(1000 * n_walkers):
        trial = x0 + scale * rng.standard_normal(m.ndim)
        if not m.problems(m.params(trial)):
            p0.append(trial)
            if len(p0) == n_walkers:
                break
    else:
        raise ValueError(f"could not place {n_walkers} walkers inside the prior around {start}; "
                         "move the start away from the prior edges or shrink init_scale")
    seed = int(rng.integers(2**32))
    import emcee

    post = DensityPosterior(stars, survey, m)
    # differential-evolution moves: on this 10-d posterior (alpha1-r1 and pitch-yaw are
    # correlated) they give ~2.5x shorter autocorrelation times than the stretch move
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    key = fingerprint(post.stars.pos, survey.pos, survey.weight, survey.giants_per_msun, m.name, np.array(p0))
    run = run_emcee(post, np.array(p0), n_steps_max=n_steps_max, seed=seed, backend_path=backend_path,
                    fingerprint=key, restart=restart, pool=pool, check_every=check_every, n_tau=n_tau,
                    moves=moves)
    tau = run["tau"]
    tmax = float(np.nanmax(tau)) if np.any(np.isfinite(tau)) else 1.0
    # burn-in (at least 3 tau) and thinning tau / 2, capped so that short (smoke) runs keep half the chain
    discard = min(max(int(3 * tmax), run["burn_in"]), run["n_steps"] // 2)
    thin = max(1, min(int(tmax / 2), (run["n_steps"] - discard) // 10))
    samples = run["sampler"].get_chain(discard=discard, thin=thin, flat=True)
    return {**run, "samples": samples, "names": m.free, "n_walkers": n_walkers,
            "summary": chain_summary(samples, m.free)}


# ====================================================== kinematic completeness

class KinematicCompleteness:
    """P(star passes a kinematic cut | position) as a smooth logistic function.

    The GSE sample keeps accreted-chemistry stars with e > 0.7. If the fraction of the
    accreted population on such orbits varies with position, the cut changes the density
    shape the forward model sees (S001 argues it does not on H3; on the mock it varies
    from 0.73 near the plane to 0.61 at |Z| > 20 kpc, and by a few per cent with azimuth,
    enough to bias q, p and the tilt by 1-4 sigma). This class models it from the data
    themselves: a logistic regression of the pass/fail flag of the parent (pre-cut) sample
    on ln r and the quadrupole of the direction u = x / r (u_z^2, u_x^2 - u_y^2, u_x u_y,
    u_x u_z, u_y u_z), the general second-order smooth dependence on position.
    """

    def __init__(self, coef):
        self.coef = np.asarray(coef, float)

    @staticmethod
    def _features(pos):
        pos = np.asarray(pos, float)
        r = np.sqrt(np.sum(pos**2, axis=0))
        ux, uy, uz = pos / r
        return np.stack([np.ones_like(r), np.log(r), uz**2, ux**2 - uy**2, ux * uy, ux * uz, uy * uz], axis=-1)

    @classmethod
    def fit(cls, pos, passed):
        """Maximum-likelihood logistic fit to parent-sample positions (3, N) and flags."""
        from scipy.optimize import minimize

        X = cls._features(pos)
        y = np.asarray(passed, bool)
        if y.all() or not y.any():
            raise ValueError("the parent sample must contain stars that pass and fail the cut")

        def nll(b):
            z = X @ b
            return np.sum(np.logaddexp(0.0, z)) - np.sum(z[y])

        def grad(b):
            p = 1.0 / (1.0 + np.exp(-(X @ b)))
            return X.T @ (p - y)

        res = minimize(nll, np.zeros(X.shape[1]), jac=grad, method="BFGS")
        return cls(res.x)

    def __call__(self, pos):
        return 1.0 / (1.0 + np.exp(-(self._features(pos) @ self.coef)))


def apply_completeness(survey: SelectionGrid, completeness) -> SelectionGrid:
    """A new SelectionGrid whose selection is multiplied by ``completeness(node positions)``."""
    c = completeness(survey.pos.reshape(3, -1)).reshape(survey.selection.shape)
    return SelectionGrid(survey.tiles, survey.distance, survey.selection * c, r_range=survey.r_range,
                  giants_per_msun=survey.giants_per_msun, inside=survey.inside)


# ============================================================ model predictions

def node_radius(survey: SelectionGrid) -> np.ndarray:
    """Galactocentric radius (kpc) of every (tile, distance) node."""
    return np.sqrt(np.sum(survey.pos**2, axis=0))


def radial_counts(survey: SelectionGrid, params: dict, model, edges) -> np.ndarray:
    """Expected number of selected stars in Galactocentric radius bins."""
    rates = survey.node_rates(params, model)
    return np.histogram(node_radius(survey).ravel(), edges, weights=rates.ravel())[0]


def effective_volume(survey: SelectionGrid, edges) -> np.ndarray:
    """Selection-weighted volume (kpc^3) per radius bin: counts / V_eff estimate n(r)."""
    return np.histogram(node_radius(survey).ravel(), edges, weights=survey.weight.ravel())[0]


def sky_counts(survey: SelectionGrid, params: dict, model, nside: int = 8) -> np.ndarray:
    """Expected selected stars per HEALPix pixel (Galactic, RING), tiles at their centres."""
    import healpy as hp

    per_tile = survey.node_rates(params, model).sum(axis=1)
    pix = hp.ang2pix(nside, np.asarray(survey.tiles["l"], float), np.asarray(survey.tiles["b"], float),
                     lonlat=True)
    return np.bincount(pix, weights=per_tile, minlength=hp.nside2npix(nside))
