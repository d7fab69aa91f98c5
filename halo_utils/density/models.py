"""Density models composed of a geometry and a radial profile, their priors and tracer density.

A `DensityModel` is a geometry (`~halo_utils.density.geometry`: which of p, q, pitch, yaw
are free) times a radial profile (`~halo_utils.density.profiles`), with one amplitude,
log10_mass: the stellar mass (log10 Msun) within 1 < r_q < 100 kpc (conventions §7; S001
section 3). The chapters' nested variants are registered by name, ``"<geometry>_<profile>"``
(`MODEL_NAMES`, `get_model`); a new geometry or profile is a new small class, registered in
`GEOMETRIES` or `PROFILES` (e.g. ``"triaxial_einasto"``) or composed directly,
``DensityModel(Triaxial(), Einasto())``. Priors are uniform in the ranges of `PRIOR_BOUNDS`
with p >= q and r1 < r2 (conventions §9).
"""

from __future__ import annotations

import numpy as np

from ..survey import GIANTS_PER_MSUN
from .geometry import SHAPE_BOUNDS, SHAPE_NAMES, Oblate, Spherical, Triaxial, TriaxialAligned
from .profiles import POWER_LAW_BOUNDS, SLOPE_NAMES, BrokenPowerLaw, Einasto, PowerLaw

__all__ = ["PARAM_NAMES", "PRIOR_BOUNDS", "MASS_RANGE_KPC", "DensityModel", "GEOMETRIES", "PROFILES",
           "MODEL_NAMES", "get_model", "log_prior", "check_params", "stellar_mass", "log_amplitude",
           "log_number_density"]

#: Every parameter of the fiducial model (radii kpc, angles deg, mass log10 Msun).
PARAM_NAMES = SLOPE_NAMES + SHAPE_NAMES + ("log10_mass",)

#: Uniform prior range of the amplitude, log10 Msun.
MASS_BOUNDS = (5.0, 12.0)
#: Finite-difference step of the amplitude, dex.
MASS_STEP = 0.002

#: Uniform prior ranges of the fiducial model's parameters. Besides these, p >= q and r1 < r2.
PRIOR_BOUNDS = {**POWER_LAW_BOUNDS, **SHAPE_BOUNDS, "log10_mass": MASS_BOUNDS}

#: Ellipsoidal radii (kpc) of the shell whose stellar mass is log10_mass.
MASS_RANGE_KPC = (1.0, 100.0)


class DensityModel:
    """A density model: a geometry and a radial profile with one amplitude, log10_mass.

    Parameters
    ----------
    geometry : `~halo_utils.density.geometry.Geometry`
        Which shape parameters are free, e.g. ``Triaxial()``.
    profile : `~halo_utils.density.profiles.Profile`
        The radial profile, e.g. ``BrokenPowerLaw(2)``.
    name : str, optional
        Default ``"<geometry.name>_<profile.name>"``, e.g. the fiducial
        ``"triaxial_double_break"`` or the restricted ``"oblate_single_break"``.

    Attributes
    ----------
    free : tuple of str
        The fitted parameters: the profile's, the geometry's, then log10_mass.
    fixed : dict
        Values of the parameters the variant does not fit (it ignores any value given).
    names : tuple of str
        Every parameter the model reads.
    bounds, steps : dict
        Prior ranges and finite-difference steps per parameter (natural units).
    """

    def __init__(self, geometry, profile, name: str | None = None):
        self.geometry, self.profile = geometry, profile
        self.name = name or f"{geometry.name}_{profile.name}"
        self.free = tuple(profile.free) + tuple(geometry.free) + ("log10_mass",)
        self.fixed = {**geometry.fixed, **profile.fixed}
        self.names = tuple(profile.names) + tuple(geometry.names) + ("log10_mass",)
        self.bounds = {**profile.bounds, **geometry.bounds, "log10_mass": MASS_BOUNDS}
        self.steps = {**profile.steps, **geometry.steps, "log10_mass": MASS_STEP}

    def __repr__(self):
        return f"DensityModel({self.geometry!r}, {self.profile!r}, name={self.name!r})"

    @property
    def ndim(self) -> int:
        """Number of free parameters."""
        return len(self.free)

    def complete(self, params: dict) -> dict:
        """All of ``names``: the free ones from ``params`` (as float), the fixed ones set."""
        unknown = sorted(set(params) - set(self.names))
        if unknown:
            raise ValueError(f"unknown density parameter(s) {unknown}; expected names from {list(self.names)}")
        missing = [n for n in self.free if n not in params]
        if missing:
            raise ValueError(f"model {self.name!r} needs parameter(s) {missing}")
        return {**{n: float(params[n]) for n in self.free}, **self.fixed}

    def vector(self, params: dict) -> np.ndarray:
        """Free parameters as a vector in the order of ``free``."""
        return np.array([float(params[n]) for n in self.free])

    def params(self, vector) -> dict:
        """Inverse of `vector`."""
        return dict(zip(self.free, np.asarray(vector, float)))

    def problems(self, params: dict) -> list:
        """Human-readable reasons why ``params`` are outside the prior (empty if fine)."""
        full = self.complete(params)
        out = []
        for name in self.free:
            value = full[name]
            lo, hi = self.bounds[name]
            if not np.isfinite(value):
                out.append(f"{name} = {value} is not finite")
            elif not lo <= value <= hi:
                out.append(f"{name} = {value:g} outside its prior range [{lo:g}, {hi:g}]")
        return out + self.geometry.problems(full) + self.profile.problems(full)

    # optimiser coordinates of the shape (every free parameter but log10_mass, which the
    # fits profile analytically): box-bounded, with the ordering constraints built in
    def to_opt(self, params: dict) -> np.ndarray:
        """Optimiser coordinates of the shape parameters (see `Component.to_opt`)."""
        return np.array(self.profile.to_opt(params) + self.geometry.to_opt(params))

    def from_opt(self, x) -> dict:
        """Inverse of `to_opt`: the shape parameters in natural units."""
        n = len(self.profile.free)
        return {**self.profile.from_opt(x[:n]), **self.geometry.from_opt(x[n:])}

    def opt_bounds(self) -> list:
        """Box bounds of `to_opt`'s coordinates."""
        return self.profile.opt_bounds() + self.geometry.opt_bounds()

    def opt_steps(self) -> list:
        """Finite-difference steps of `to_opt`'s coordinates."""
        return self.profile.opt_steps() + self.geometry.opt_steps()

    def from_opt_jacobian(self, x) -> np.ndarray:
        """d(shape parameters, natural units, order of ``free`` without log10_mass)/d(`to_opt` coordinates) at ``x``.

        Block-diagonal (profile, geometry); a gradient g in natural units is J^T g in the
        optimiser's coordinates.
        """
        n, k = len(self.profile.free), len(self.free) - 1
        jac = np.zeros((k, k))
        jac[:n, :n] = self.profile.from_opt_jacobian(x[:n])
        jac[n:, n:] = self.geometry.from_opt_jacobian(x[n:])
        return jac


#: The geometries by the name they take in model names: ``"<geometry>_<profile>"`` composes one of each.
GEOMETRIES = {"spherical": Spherical(), "oblate": Oblate(), "triaxial_aligned": TriaxialAligned(),
              "triaxial": Triaxial()}
#: The radial profiles by the name they take in model names (``<geometry>_<profile>``).
PROFILES = {"no_break": PowerLaw(), "single_break": BrokenPowerLaw(1), "double_break": BrokenPowerLaw(2),
            "einasto": Einasto()}
#: The chapters' nested models: every geometry with the broken power laws, e.g. the fiducial
#: ``"triaxial_double_break"`` and the restricted ``"oblate_single_break"``.
MODEL_NAMES = tuple(f"{g}_{p}" for g in GEOMETRIES for p in ("no_break", "single_break", "double_break"))
_MODELS = {}  # models built so far, by name


def get_model(model) -> DensityModel:
    """A `DensityModel` from its name ``"<geometry>_<profile>"`` (a model is returned as it is).

    Any registered geometry (`GEOMETRIES`) with any registered profile (`PROFILES`), e.g.
    the names of `MODEL_NAMES` or ``"triaxial_einasto"``. Fits record their model by name,
    so a model built from other components must be passed as the object.
    """
    if isinstance(model, DensityModel):
        return model
    name = str(model)
    if name not in _MODELS:
        for g in sorted(GEOMETRIES, key=len, reverse=True):  # "triaxial_aligned" before "triaxial"
            if name.startswith(g + "_") and name[len(g) + 1:] in PROFILES:
                _MODELS[name] = DensityModel(GEOMETRIES[g], PROFILES[name[len(g) + 1:]])
                break
        else:
            raise ValueError(f"unknown density model {model!r}; expected '<geometry>_<profile>' with geometry "
                             f"one of {list(GEOMETRIES)} and profile one of {list(PROFILES)}")
    return _MODELS[name]


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
    """Integral of the (unit-amplitude) profile over 1 < r_q < 100 kpc: 4 pi p q I, kpc^3."""
    return 4.0 * np.pi * full["p"] * full["q"] * model.profile.shell_integral(full, *MASS_RANGE_KPC)


def stellar_mass(params: dict, model="triaxial_double_break", r_min=1.0, r_max=100.0) -> float:
    """Stellar mass within r_min < r_q < r_max of a model normalised by log10_mass.

    log10_mass is the mass within 1 < r_q < 100 kpc (conventions §7), so the default
    returns 10**log10_mass; other ranges give e.g. the mass inside 6 kpc that is
    extrapolated from the fit.

    Parameters
    ----------
    params : dict
        Free parameters of ``model``.
    model : str or DensityModel
    r_min, r_max : float
        Ellipsoidal radii of the shell, kpc.

    Returns
    -------
    float
        Stellar mass, Msun.
    """
    m = get_model(model)
    full = m.complete(params)
    ratio = m.profile.shell_integral(full, r_min, r_max) / m.profile.shell_integral(full, *MASS_RANGE_KPC)
    return 10.0 ** full["log10_mass"] * ratio


def log_number_density(mono, params: dict, model="triaxial_double_break", giants_per_msun=GIANTS_PER_MSUN):
    """ln of the tracer number density at positions given as `monomials`.

    Parameters
    ----------
    mono : ndarray, shape (N, 6)
        `~halo_utils.density.geometry.monomials` of Galactocentric positions (kpc).
    params : dict
        Free parameters of ``model``.
    model : str or DensityModel
    giants_per_msun : float
        Tracers per solar mass of the population (giants / Msun).

    Returns
    -------
    ndarray, shape (N,)
        ln n, with n in tracers per kpc^3.
    """
    m = get_model(model)
    full = m.complete(params)
    ln_rq2 = np.log(mono @ m.geometry.quadratic_form(full))
    return log_amplitude(full, m, giants_per_msun) + m.profile.log_profile(ln_rq2, full)


def log_amplitude(full: dict, model, giants_per_msun=GIANTS_PER_MSUN) -> float:
    """ln of the tracer density's amplitude, N_tracers / (4 pi p q shell_integral(1, 100 kpc)).

    ln n = `log_amplitude` + ln f(r_q) (conventions §7); its derivatives are ln 10 per dex
    of log10_mass, -1/p, -1/q and minus the profile's `log_shell_integral_gradient`.

    Parameters
    ----------
    full : dict
        Completed parameters (`DensityModel.complete`).
    model : DensityModel
    giants_per_msun : float
        Tracers per solar mass of the population (giants / Msun).

    Returns
    -------
    float
        ln(tracers per kpc^3).
    """
    return full["log10_mass"] * np.log(10.0) + np.log(giants_per_msun) - np.log(_shape_norm(full, model))
