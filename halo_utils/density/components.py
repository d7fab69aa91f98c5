"""The common base of a density model's parts: named parameters, some free, some fixed.

A `~halo_utils.density.models.DensityModel` is composed of a geometry
(`~halo_utils.density.geometry`) and a radial profile (`~halo_utils.density.profiles`), the
way gala composes potentials. Each part is a `Component`: it names the parameters it reads,
says which are free and which fixed (and at what value), carries their uniform prior ranges
and finite-difference steps, its own prior constraints, and how its free parameters map to
the box-bounded coordinates of the optimiser (conventions §9).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RELATIVE_STEP", "Component"]

#: Finite-difference step of a relative optimiser coordinate (in [0, 1]; see `Component.relative`).
RELATIVE_STEP = 2e-3


class Component:
    """A part of a density model: parameters, priors and optimiser coordinates.

    Subclasses set the class attributes below (or set them per instance) and may override
    `problems`, `relative_to_opt`, `relative_from_opt` and `draw_start`.

    Attributes
    ----------
    name : str
        Name of the variant in model names, e.g. ``"triaxial"`` or ``"double_break"``.
    names : tuple of str
        Every parameter the component reads, free or fixed, in their canonical order.
    free : tuple of str
        The parameters this variant fits, in the order of ``names``.
    fixed : dict
        Values of the parameters this variant does not fit (``names`` minus ``free``).
    bounds : dict
        Uniform prior range ``(low, high)`` of each parameter, in its natural unit.
    steps : dict
        Finite-difference step of each parameter (natural unit) for Laplace errors and the
        initial spread of emcee walkers.
    relative : tuple of str
        Free parameters the optimiser sees as a fraction in [0, 1] of an interval set by
        another parameter (e.g. r2 between r1 and its upper bound), so that an ordering
        constraint holds everywhere inside the optimiser's box.
    """

    name = ""
    names: tuple = ()
    free: tuple = ()
    fixed: dict = {}
    bounds: dict = {}
    steps: dict = {}
    relative: tuple = ()

    def __repr__(self):
        return f"{type(self).__name__}()"

    def problems(self, full: dict) -> list:
        """Reasons (str) why completed parameters ``full`` violate this component's prior
        constraints beyond the per-parameter ranges; empty if none."""
        return []

    def draw_start(self, rng) -> dict:
        """Random starting values of the optimiser for this component's parameters."""
        return {}

    def relative_to_opt(self, name: str, params: dict) -> float:
        """The relative coordinate of ``name`` (one of ``relative``) for ``params``."""
        raise NotImplementedError

    def relative_from_opt(self, out: dict) -> dict:
        """Replace the relative coordinates in ``out`` (natural units otherwise) by values."""
        return out

    def to_opt(self, params: dict) -> list:
        """Optimiser coordinates of the free parameters, in the order of ``free``."""
        return [self.relative_to_opt(n, params) if n in self.relative else params[n] for n in self.free]

    def from_opt(self, values) -> dict:
        """Inverse of `to_opt`: ``{free parameter: value}`` in natural units."""
        out = {n: float(v) for n, v in zip(self.free, values)}
        return self.relative_from_opt(out) if self.relative else out

    def from_opt_jacobian(self, values) -> np.ndarray:
        """d(free parameters, natural units)/d(optimiser coordinates) at ``values`` (`to_opt` order).

        The identity by default; a component with ``relative`` coordinates overrides it, so
        that a gradient in natural units maps to the optimiser's coordinates (the transpose
        of this matrix times the gradient).
        """
        if self.relative:
            raise NotImplementedError(f"{type(self).__name__} has relative coordinates but no from_opt_jacobian")
        return np.eye(len(self.free))

    def opt_bounds(self) -> list:
        """Box bounds of the optimiser coordinates (just inside the prior ranges)."""
        return [(1e-3, 1.0 - 1e-3) if n in self.relative else (self.bounds[n][0] + 1e-6, self.bounds[n][1] - 1e-6)
                for n in self.free]

    def opt_steps(self) -> list:
        """Finite-difference steps of the optimiser coordinates."""
        return [RELATIVE_STEP if n in self.relative else self.steps[n] for n in self.free]
